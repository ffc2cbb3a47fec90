import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-paths.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { listTree, tempDir } from '../helpers/tmp.js';

const cliJs = join(packageRoot, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs));
}

/** The installed program, as a user and CI start it: a separate node process, real exit codes, real streams. */
function vvehicle(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the built CLI: convert → manifest → publish exit codes', () => {
  beforeAll(() => {
    // `npm test` builds first; a stale or missing dist (running this file alone) is rebuilt here
    if (!existsSync(cliJs) || statSync(cliJs).mtimeMs < newestMtime(join(packageRoot, 'src'))) {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
    }
  }, 300_000);

  it('exits 0 through the pipeline, 2 on a republish, a changed artifact, or a missing deploy dir', () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'));
    const convert = vvehicle(['convert', '-w', 'work', '--deploy-dir', d.deployDir, '--out', 'out', '--json'], root);
    expect(convert.code, convert.stderr).toBe(0);
    // progress went to stderr, so stdout is exactly the JSON result
    expect(JSON.parse(convert.stdout).qcow2).toBe('vvehicle-gateway-0.1.0.qcow2');
    expect(convert.stderr).toContain('[COMPLETED]');

    const manifest = vvehicle(['manifest', '-w', 'work', '--from', 'out', '--json'], root);
    expect(manifest.code, manifest.stderr).toBe(0);
    expect(JSON.parse(manifest.stdout).schemaVersion).toBe(3);

    const publish = vvehicle(['publish', '-w', 'work', '--from', 'out', '--to', 'pub', '--json'], root);
    expect(publish.code, publish.stderr).toBe(0);
    expect(JSON.parse(publish.stdout).versionDir).toBe(join(root, 'pub/vvehicle-gateway/0.1.0'));

    const again = vvehicle(['publish', '-w', 'work', '--from', 'out', '--to', 'pub'], root);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: vvehicle-gateway 0\.1\.0 is already published/m);
    expect(again.stderr).toMatch(/^hint: /m);

    expect(vvehicle(['manifest', 'verify', 'pub/vvehicle-gateway/0.1.0/manifest.json'], root).code).toBe(0);
    writeFileSync(join(root, 'out', 'testdata.json'), '{"changed":true}');
    const verify = vvehicle(['manifest', 'verify', 'out/manifest.json'], root);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('testdata testdata.json');

    const before = listTree(root);
    const missing = vvehicle(['convert', '-w', 'work', '--deploy-dir', 'nowhere', '--out', 'out2'], root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`deploy directory ${join(root, 'nowhere')} does not exist`);
    expect(listTree(root)).toEqual(before);
  }, 120_000);
});
