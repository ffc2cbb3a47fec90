import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { expectDiskFault, incompressibleRootfs, snapshot } from '../helpers/disk-fault.js';
import { listTree, tempDir } from '../helpers/tmp.js';
import { fillUntil, mountTmpfs } from '../helpers/tmpfs.js';

const mounted: (() => void)[] = [];
function tmpfs(size: string, readOnly = false): string {
  const fs = mountTmpfs(size, { readOnly });
  mounted.push(fs.unmount);
  return fs.dir;
}
afterEach(() => {
  for (const unmount of mounted.splice(0)) unmount();
});

const AMOUNTS = /\(\d+(\.\d)? (bytes|KiB|MiB) free there, \d+(\.\d)? (KiB|MiB) needed, \d+(\.\d)? (bytes|KiB|MiB) short\)/;

describe('disk full (a real, small tmpfs)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('convert --out on a 1 MiB tmpfs: refused before any work, with free and needed space, nothing written', () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'));
    const small = tmpfs('1m');
    const r = vvehicle(['convert', '-w', 'work', '--deploy-dir', d.deployDir, '--out', join(small, 'out')], root);
    expectDiskFault(r, new RegExp(`^error: not enough free space for vvehicle-gateway-0\\.1\\.0 in ${small} ${AMOUNTS.source}; nothing was written$`, 'm'));
    expect(listTree(small)).toEqual([]);
  }, 120_000);

  it('convert over a previous output on a full disk: refused, the previous output untouched', () => {
    const root = tempDir();
    const disk = tmpfs('16m');
    const out = join(disk, 'out');
    const first = vvehicle(['convert', '-w', 'work', '--deploy-dir', makeDeployDir(join(root, 'a')).deployDir, '--out', out], root);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(disk);
    fillUntil(disk, 128 * 1024);
    const again = vvehicle(['convert', '-w', 'work', '--deploy-dir', makeDeployDir(join(root, 'b'), { stamps: ['20261129120000'] }).deployDir, '--out', out], root);
    expectDiskFault(again, /^error: not enough free space for vvehicle-gateway-0\.1\.0 in /m);
    expect(snapshot(disk).filter(([p]) => p !== 'filler')).toEqual(before);
  }, 120_000);

  it('qemu-img running out of space mid-conversion (compressed: not measurable up front): exit 2 naming the qcow2, no staging left', () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'));
    incompressibleRootfs(d, root, 6 << 20);
    writeFileSync(join(root, 'vvehicle.yml'), 'extends: gateway-qemuarm64\noutput:\n  qcow2:\n    compress: true\n');
    const small = tmpfs('3m');
    const r = vvehicle(['convert', '-c', 'vvehicle.yml', '-w', 'work', '--deploy-dir', d.deployDir, '--out', join(small, 'out')], root);
    // the qcow2 and the side files (kernel, …) are written at the same time: whichever fills the disk first is named
    expectDiskFault(r, new RegExp(`^error: no space left on device writing ${small}/\\.out\\.staging-\\d+-[0-9a-f]{8}/[^/ ]+ \\(\\d+(\\.\\d)? (bytes|KiB|MiB) free there\\); nothing was half-written$`, 'm'));
    expect(listTree(small)).toEqual([]);
  }, 120_000);

  it('manifest on a full disk: exit 2 naming the file (ENOSPC from Node), no manifest.json and no temp file', () => {
    const root = tempDir();
    const disk = tmpfs('16m');
    const out = join(disk, 'out');
    expect(vvehicle(['convert', '-w', 'work', '--deploy-dir', makeDeployDir(join(root, 'build')).deployDir, '--out', out], root).code).toBe(0);
    const before = snapshot(out);
    fillUntil(disk, 0);
    const r = vvehicle(['manifest', '-w', 'work', '--from', out], root);
    expectDiskFault(r, new RegExp(`^error: no space left on device writing ${out}/manifest\\.json \\(0 bytes free there\\); nothing was half-written$`, 'm'));
    expect(snapshot(out)).toEqual(before);
  }, 120_000);

  it('layer on a full disk: refused with the space needed, the previous layer untouched; on a read-only mount: named as such', () => {
    const root = tempDir();
    const disk = tmpfs('1m');
    const out = join(disk, 'meta-vvehicle');
    const first = vvehicle(['layer', '-w', 'work', '--out', out], root);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(disk);
    fillUntil(disk, 8 * 1024);
    const r = vvehicle(['layer', '-w', 'work', '--out', out], root);
    expectDiskFault(r, new RegExp(`^error: not enough free space for meta-vvehicle in ${disk} ${AMOUNTS.source}; nothing was written$`, 'm'));
    expect(snapshot(disk).filter(([p]) => p !== 'filler')).toEqual(before);

    const readOnly = tmpfs('1m', true);
    const ro = vvehicle(['layer', '-w', 'work', '--out', join(readOnly, 'meta-vvehicle')], root);
    expectDiskFault(ro, new RegExp(`^error: cannot write ${readOnly}/\\.meta-vvehicle\\.staging-\\d+-[0-9a-f]{8}: read-only file system$`, 'm'));
  }, 120_000);

  it('publish to a full disk: refused up front; the published version and the channel stay as they were', () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build')).deployDir;
    writeFileSync(join(root, 'v2.yml'), 'extends: gateway-qemuarm64\nversion: 0.2.0\n');
    for (const [config, out] of [[[], 'out1'], [['-c', 'v2.yml'], 'out2']] as const) {
      expect(vvehicle(['convert', ...config, '-w', 'work', '--deploy-dir', deploy, '--out', out], root).code).toBe(0);
      expect(vvehicle(['manifest', ...config, '-w', 'work', '--from', out], root).code).toBe(0);
    }
    const pub = tmpfs('16m');
    const first = vvehicle(['publish', '-w', 'work', '--from', 'out1', '--to', pub], root);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(pub);
    fillUntil(pub, 256 * 1024);
    const r = vvehicle(['publish', '-c', 'v2.yml', '-w', 'work', '--from', 'out2', '--to', pub], root);
    expectDiskFault(r, new RegExp(`^error: not enough free space for vvehicle-gateway 0\\.2\\.0 in ${pub}/vvehicle-gateway ${AMOUNTS.source}; nothing was written$`, 'm'));
    expect(snapshot(pub).filter(([p]) => p !== 'filler')).toEqual(before);
    expect(JSON.parse(readFileSync(join(pub, 'vvehicle-gateway/channels/stable.json'), 'utf8')).version).toBe('0.1.0');
    expect(existsSync(join(pub, 'vvehicle-gateway/.publish.lock'))).toBe(false);
    expect(readdirSync(join(pub, 'vvehicle-gateway')).sort()).toEqual(['0.1.0', 'channels']);
  }, 180_000);
});
