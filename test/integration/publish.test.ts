import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { runCli } from '../helpers/cli.js';
import { readyToPublish } from '../helpers/publishable.js';
import { listTree, tempDir } from '../helpers/tmp.js';


const mode = (path: string) => statSync(path).mode & 0o777;

describe('vvehicle publish (real files)', () => {
  it('lays out DIR/<name>/<version>/ read-only with SHA256SUMS that sha256sum -c accepts, and points the channel at it', async () => {
    const { root, out, work } = await readyToPublish();
    const to = join(root, 'published');
    const { code, stderr } = await runCli(['publish', '-w', work, '--from', out, '--to', to, '--channel', 'beta']);
    expect(code, stderr).toBe(0);

    const versionDir = join(to, 'vvehicle-gateway', '0.1.0');
    expect(listTree(to)).toEqual([
      'vvehicle-gateway/',
      'vvehicle-gateway/0.1.0/',
      'vvehicle-gateway/0.1.0/Image',
      'vvehicle-gateway/0.1.0/SHA256SUMS',
      'vvehicle-gateway/0.1.0/license.manifest',
      'vvehicle-gateway/0.1.0/manifest.json',
      'vvehicle-gateway/0.1.0/packages.txt',
      'vvehicle-gateway/0.1.0/qemuboot.conf',
      'vvehicle-gateway/0.1.0/testdata.json',
      'vvehicle-gateway/0.1.0/vvehicle-gateway-0.1.0.qcow2',
      'vvehicle-gateway/0.1.0/vvehicle-gateway-0.1.0.spdx.tar.zst',
      'vvehicle-gateway/channels/',
      'vvehicle-gateway/channels/beta.json',
    ]);
    expect(mode(versionDir)).toBe(0o555);
    for (const f of listTree(versionDir)) expect(mode(join(versionDir, f)), f).toBe(0o444);

    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: versionDir, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain('vvehicle-gateway-0.1.0.qcow2: OK');
    expect(check.stdout).toContain('manifest.json: OK');
    expect(readFileSync(join(versionDir, 'SHA256SUMS'), 'utf8').trimEnd().split('\n')).toHaveLength(8);

    const channel = JSON.parse(readFileSync(join(to, 'vvehicle-gateway/channels/beta.json'), 'utf8'));
    expect(channel).toMatchObject({ name: 'vvehicle-gateway', channel: 'beta', version: '0.1.0', manifest: '../0.1.0/manifest.json', disk: '../0.1.0/vvehicle-gateway-0.1.0.qcow2' });
    const manifest: Manifest = JSON.parse(readFileSync(join(to, 'vvehicle-gateway/channels', channel.manifest), 'utf8'));
    expect(manifest.buildId).toBe(channel.buildId);
    expect(execFileSync('sha256sum', [join(to, 'vvehicle-gateway/channels', channel.disk)], { encoding: 'utf8' })).toContain(channel.diskSha256);

    // the published manifest verifies where it lies
    expect((await runCli(['manifest', 'verify', join(versionDir, 'manifest.json')])).code).toBe(0);
  });

  it('refuses to publish the same version twice (exit 2) and leaves the first one intact', async () => {
    const { root, out, work } = await readyToPublish();
    const to = join(root, 'published');
    expect((await runCli(['publish', '-w', work, '--from', out, '--to', to])).code).toBe(0);
    const versionDir = join(to, 'vvehicle-gateway', '0.1.0');
    const sumsBefore = readFileSync(join(versionDir, 'SHA256SUMS'), 'utf8');
    const treeBefore = listTree(to);
    const mtimeBefore = statSync(join(versionDir, 'manifest.json')).mtimeMs;

    // a rebuilt image of the same version must not replace what the fleet already uses
    expect((await runCli(['manifest', '-w', work, '--from', out, '--build-id', 'rebuilt-1'])).code).toBe(0);
    const again = await runCli(['publish', '-w', work, '--from', out, '--to', to]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('vvehicle-gateway 0.1.0 is already published');
    expect(again.stderr).toContain('never overwritten');
    expect(listTree(to)).toEqual(treeBefore);
    expect(readFileSync(join(versionDir, 'SHA256SUMS'), 'utf8')).toBe(sumsBefore);
    expect(statSync(join(versionDir, 'manifest.json')).mtimeMs).toBe(mtimeBefore);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: versionDir }).status).toBe(0);
  });

  it('--bundle writes <name>-<version>.tar whose extracted manifest verifies', async () => {
    const { root, out, work } = await readyToPublish();
    const to = join(root, 'published');
    const { code, stderr } = await runCli(['publish', '-w', work, '--from', out, '--to', to, '--bundle']);
    expect(code, stderr).toBe(0);
    const versionDir = join(to, 'vvehicle-gateway', '0.1.0');
    const tarFile = join(versionDir, 'vvehicle-gateway-0.1.0.tar');
    expect(mode(tarFile)).toBe(0o444);
    const entries = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(entries).toContain('vvehicle-gateway-0.1.0/manifest.json');
    expect(entries).toContain('vvehicle-gateway-0.1.0/vvehicle-gateway-0.1.0.qcow2');
    expect(entries).not.toContain('vvehicle-gateway-0.1.0/SHA256SUMS');
    // SHA256SUMS covers the bundle too
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: versionDir, encoding: 'utf8' }).stdout).toContain('vvehicle-gateway-0.1.0.tar: OK');

    const unpacked = join(root, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xf', tarFile, '-C', unpacked]);
    const verify = await runCli(['manifest', 'verify', join(unpacked, 'vvehicle-gateway-0.1.0', 'manifest.json')]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('defaults --to and --channel from the config (publish.dir relative to the config file)', async () => {
    const { root, out, work } = await readyToPublish();
    const project = join(root, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'vvehicle.yml'), 'extends: gateway-qemuarm64\npublish:\n  dir: ../releases\n  channel: lab\n');
    const { code, stderr } = await runCli(['publish', '-c', join(project, 'vvehicle.yml'), '-w', work, '--from', out]);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'releases/vvehicle-gateway/channels/lab.json'), 'utf8')).version).toBe('0.1.0');
  });

  it('refuses an image that failed its smoke test, and a directory with no manifest, writing nothing', async () => {
    const { root, out, work } = await readyToPublish();
    const to = join(root, 'published');
    const manifestPath = join(out, 'manifest.json');
    const m: Manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    m.smoke = {
      verdict: 'fail', accel: 'tcg', accelReason: 'test', machine: 'virt', cpu: 'cortex-a57', memoryMiB: 512, cpus: 1,
      startedAt: '2026-11-28T10:00:00.000Z', durationMs: 900,
      stages: [{ id: 'kernel', status: 'fail', durationMs: 900, message: 'Kernel panic' }], probes: [],
      failure: { stage: 'kernel', message: 'Kernel panic - not syncing' },
    };
    writeFileSync(manifestPath, JSON.stringify(m));
    const failed = await runCli(['publish', '-w', work, '--from', out, '--to', to]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('failed its smoke test (kernel)');

    const none = await runCli(['publish', '-w', work, '--from', root, '--to', to]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('manifest.json does not exist');
    expect(listTree(root).filter((p) => p.startsWith('published'))).toEqual([]);
  });

  it('refuses (exit 2) when a file changed after the manifest was written, leaving no staging dir', async () => {
    const { root, out, work } = await readyToPublish();
    const to = join(root, 'published');
    writeFileSync(join(out, 'packages.txt'), 'tampered x 1\n');
    const r = await runCli(['publish', '-w', work, '--from', out, '--to', to]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('package-list packages.txt');
    expect(listTree(to)).toEqual(['vvehicle-gateway/']);
  });
});
