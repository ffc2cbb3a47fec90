import { appendFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkManifest } from '../../src/image/verify.js';
import { ensureBuilt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { tempDir } from '../helpers/tmp.js';

/** Flips one byte in the middle of a file, as bit rot or a careless copy would (root writes through 0444). */
function flipByte(file: string): void {
  const at = Math.floor(statSync(file).size / 2);
  const fd = openSync(file, 'r+');
  try {
    const old = readFileSync(file).subarray(at, at + 1);
    writeSync(fd, Buffer.from([old[0]! ^ 0xff]), 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

function truncateHalf(file: string): void {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, text.length >> 1));
}

describe('corruption at rest', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('a published qcow2 or kernel changed after publish is caught by `manifest verify` (exit 2, naming each), and by checkManifest', async () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build')).deployDir;
    for (const args of [
      ['convert', '-w', 'work', '--deploy-dir', deploy, '--out', 'out'],
      ['manifest', '-w', 'work', '--from', 'out'],
      ['publish', '-w', 'work', '--from', 'out', '--to', 'pub'],
    ]) expect(vvehicle(args, root).code).toBe(0);
    const version = join(root, 'pub/vvehicle-gateway/0.1.0');
    const manifest = join(version, 'manifest.json');
    expect(vvehicle(['manifest', 'verify', manifest], root).code).toBe(0);

    flipByte(join(version, 'vvehicle-gateway-0.1.0.qcow2'));
    appendFileSync(join(version, 'Image'), 'x');
    const r = vvehicle(['manifest', 'verify', manifest], root);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${manifest}: 2 artifact(s) do not match:`);
    expect(r.stderr).toMatch(/^ {2}disk vvehicle-gateway-0\.1\.0\.qcow2: sha256 [0-9a-f]{64} does not match the manifest's [0-9a-f]{64}$/m);
    expect(r.stderr).toMatch(/^ {2}kernel Image: size \d+ bytes, manifest says \d+$/m);
    expect(r.stderr).not.toContain('internal error');

    // the same check as a function, for a caller deciding per image (fleet up before it boots anything)
    const check = await checkManifest(manifest);
    expect(check.problems.map((p) => p.split(':')[0])).toEqual(['disk vvehicle-gateway-0.1.0.qcow2', 'kernel Image']);
    expect(check.verified.map((v) => v.role)).not.toContain('disk');
  }, 180_000);

  it('a truncated manifest.json or convert.json is exit 2 naming the file, for verify, publish and smoke --from', () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build')).deployDir;
    expect(vvehicle(['convert', '-w', 'work', '--deploy-dir', deploy, '--out', 'out'], root).code).toBe(0);
    expect(vvehicle(['manifest', '-w', 'work', '--from', 'out'], root).code).toBe(0);
    const manifest = join(root, 'out/manifest.json');
    truncateHalf(manifest);
    for (const args of [['manifest', 'verify', 'out/manifest.json'], ['publish', '-w', 'work', '--from', 'out', '--to', 'pub']]) {
      const r = vvehicle(args, root);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^error: ${manifest} is not JSON: `, 'm'));
      expect(r.stderr).not.toContain('internal error');
    }
    truncateHalf(join(root, 'out/convert.json'));
    const smoke = vvehicle(['smoke', '-w', 'work', '--from', 'out'], root);
    expect(smoke.code, smoke.stderr).toBe(2);
    expect(smoke.stderr).toMatch(new RegExp(`^error: ${join(root, 'out/convert.json')} is not valid JSON: `, 'm'));
  }, 180_000);
});
