import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `vvehicle build` chains the image stages after bitbake: from the deploy dir bitbake leaves in the
 * build dir, convert → manifest → publish run by stage id with real qemu-img, and a rerun skips them.
 * (The smoke stage runs the same runSmoke the smoke tests boot for real; this fixture's ext4 is not bootable.)
 */
describe('vvehicle build: the image stages by id', () => {
  it('converts, writes the manifest and publishes what bitbake deployed; a rerun with nothing changed skips', async () => {
    const root = tempDir();
    const work = join(root, 'work');
    const config = join(root, 'vvehicle.yml');
    writeFileSync(config, 'extends: gateway-qemuarm64\npublish:\n  dir: published\n  channel: lab\n');
    // where the plan expects bitbake's output: <work>/build/<profile>/tmp/deploy/images/<machine>
    makeDeployDir(join(work, 'build', 'gateway-qemuarm64'));

    const args = ['build', '-c', config, '-w', work, '--only', 'convert,manifest,publish', '--min-free-gib', '1'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('ran convert → manifest → publish');

    const versionDir = join(root, 'published', 'vvehicle-gateway', '0.1.0');
    expect(existsSync(join(versionDir, 'vvehicle-gateway-0.1.0.qcow2'))).toBe(true);
    expect(statSync(versionDir).mode & 0o777).toBe(0o555);
    const channel = JSON.parse(readFileSync(join(root, 'published', 'vvehicle-gateway', 'channels', 'lab.json'), 'utf8'));
    expect(channel.version).toBe('0.1.0');
    const verify = await runCli(['manifest', 'verify', join(versionDir, 'manifest.json')]);
    expect(verify.code, verify.stderr).toBe(0);

    // unchanged inputs: no stage runs again (the converted disk is not rewritten), and publish does not trip
    // over the version it already published
    const converted = join(work, 'out', 'vvehicle-gateway-0.1.0', 'vvehicle-gateway-0.1.0.qcow2');
    const convertedAt = statSync(converted).mtimeMs;
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(converted).mtimeMs).toBe(convertedAt);

    const badStage = await runCli(['build', '-c', config, '-w', work, '--only', 'convert,frobnicate']);
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain('frobnicate');
  }, 180_000);
});
