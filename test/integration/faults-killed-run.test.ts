import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startPausedAt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/**
 * SIGKILL (no cleanup can run: the same as a power loss for what is on disk) at points the test picks
 * with the test-only VVEHICLE_TEST_PAUSE_AT hook: no partial state may pass for a complete one, and the
 * next run removes what the killed one left, saying so.
 */
async function killAt(step: string, args: string[], cwd: string): Promise<number> {
  const run = await startPausedAt(step, args, cwd);
  const pid = run.child.pid!;
  run.child.kill('SIGKILL');
  await run.exited;
  return pid;
}

function converted(root: string, out: string, config: string[] = []): void {
  const deploy = join(root, 'build', 'tmp/deploy/images/qemuarm64');
  if (!existsSync(deploy)) makeDeployDir(join(root, 'build'));
  const c = vvehicle(['convert', ...config, '-w', 'work', '--deploy-dir', deploy, '--out', out], root);
  expect(c.code, c.stderr).toBe(0);
  const m = vvehicle(['manifest', ...config, '-w', 'work', '--from', out], root);
  expect(m.code, m.stderr).toBe(0);
}

const channelVersion = (pub: string, channel = 'stable') => JSON.parse(readFileSync(join(pub, 'vvehicle-gateway/channels', `${channel}.json`), 'utf8')).version;

describe('a killed run', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('publish killed before the version is placed: nothing published, channel unchanged; the next run cleans up and publishes', async () => {
    const root = tempDir();
    converted(root, 'out1');
    writeFileSync(join(root, 'v2.yml'), 'extends: gateway-qemuarm64\nversion: 0.2.0\n');
    converted(root, 'out2', ['-c', 'v2.yml']);
    expect(vvehicle(['publish', '-w', 'work', '--from', 'out1', '--to', 'pub'], root).code).toBe(0);
    const nameDir = join(root, 'pub/vvehicle-gateway');
    const before = listTree(nameDir);

    const pid = await killAt('publish:staged', ['publish', '-c', 'v2.yml', '-w', 'work', '--from', 'out2', '--to', 'pub'], root);
    expect(existsSync(join(nameDir, '0.2.0'))).toBe(false);
    expect(channelVersion(join(root, 'pub'))).toBe('0.1.0');
    // what it left: its lock, its staging dir, its pending channel pointer
    expect(readdirSync(nameDir).some((n) => n.startsWith('.0.2.0.staging-'))).toBe(true);
    expect(JSON.parse(readFileSync(join(nameDir, '.publish.lock'), 'utf8')).pid).toBe(pid);

    const verify = vvehicle(['manifest', 'verify', join(nameDir, '0.1.0/manifest.json')], root);
    expect(verify.code, verify.stderr).toBe(0);
    const visible = (paths: string[]) => paths.filter((p) => !p.split('/').some((part) => part.startsWith('.')));
    expect(visible(listTree(nameDir))).toEqual(visible(before));

    const rerun = vvehicle(['publish', '-c', 'v2.yml', '-w', 'work', '--from', 'out2', '--to', 'pub'], root);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`note: took over the lock ${join(nameDir, '.publish.lock')} left by a run that is gone (pid ${pid})`);
    expect(rerun.stderr).toMatch(new RegExp(`^note: removed ${nameDir}/\\.0\\.2\\.0\\.staging-${pid}-[0-9a-f]{8}, left by an interrupted run \\(pid ${pid}\\)$`, 'm'));
    expect(rerun.stderr).toContain('note: dropped');
    expect(channelVersion(join(root, 'pub'))).toBe('0.2.0');
    expect(readdirSync(nameDir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 180_000);

  it('publish killed after the version is placed, before the channel moved: the version is whole, and rerunning finishes the channel', async () => {
    const root = tempDir();
    converted(root, 'out');
    await killAt('publish:placed', ['publish', '-w', 'work', '--from', 'out', '--to', 'pub'], root);
    const nameDir = join(root, 'pub/vvehicle-gateway');
    expect(existsSync(join(nameDir, 'channels/stable.json'))).toBe(false);
    expect(vvehicle(['manifest', 'verify', join(nameDir, '0.1.0/manifest.json')], root).code).toBe(0);

    const rerun = vvehicle(['publish', '-w', 'work', '--from', 'out', '--to', 'pub', '--json'], root);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain('note: finished an interrupted publish: channel stable now points at 0.1.0');
    expect(JSON.parse(rerun.stdout).completedInterrupted).toBe(true);
    expect(channelVersion(join(root, 'pub'))).toBe('0.1.0');
    // and from now on it is simply published
    expect(vvehicle(['publish', '-w', 'work', '--from', 'out', '--to', 'pub'], root).code).toBe(2);
  }, 180_000);

  it('convert killed with the new output staged: the previous output stands; the next run removes the staging dir with a note', async () => {
    const root = tempDir();
    converted(root, 'out');
    const before = listTree(join(root, 'out'));
    const sha = JSON.parse(readFileSync(join(root, 'out/convert.json'), 'utf8')).sha256s;
    const deploy = makeDeployDir(join(root, 'b'), { stamps: ['20261129120000'] }).deployDir;
    const pid = await killAt('convert:staged', ['convert', '-w', 'work', '--deploy-dir', deploy, '--out', 'out'], root);
    expect(listTree(join(root, 'out'))).toEqual(before);
    expect(JSON.parse(readFileSync(join(root, 'out/convert.json'), 'utf8')).sha256s).toEqual(sha);
    const staging = readdirSync(root).filter((n) => n.startsWith('.out.staging-'));
    expect(staging).toHaveLength(1);

    const rerun = vvehicle(['convert', '-w', 'work', '--deploy-dir', deploy, '--out', 'out'], root);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`note: removed ${join(root, staging[0]!)}, left by an interrupted run (pid ${pid})`);
    expect(readdirSync(root).filter((n) => n.startsWith('.out.'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(root, 'out/convert.json'), 'utf8')).rootfsSource).toContain(deploy);
  }, 180_000);

  it('layer killed with the new layer staged: the previous layer stands; the next run sweeps the leftover', async () => {
    const root = tempDir();
    expect(vvehicle(['layer', '-w', 'work', '--out', 'meta-vvehicle'], root).code).toBe(0);
    const before = listTree(join(root, 'meta-vvehicle'));
    const pid = await killAt('layer:staged', ['layer', '-w', 'work', '--out', 'meta-vvehicle'], root);
    expect(listTree(join(root, 'meta-vvehicle'))).toEqual(before);
    const rerun = vvehicle(['layer', '-w', 'work', '--out', 'meta-vvehicle'], root);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`^note: removed ${root}/\\.meta-vvehicle\\.staging-${pid}-[0-9a-f]{8}, left by an interrupted run`, 'm'));
    expect(readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 120_000);

  it('build killed after a stage ran but before its record: the rerun redoes the stage; the dead run\'s lock is taken over', async () => {
    const root = tempDir();
    const work = join(root, 'work');
    makeDeployDir(join(work, 'build', 'gateway-qemuarm64'));
    const args = ['build', '-w', work, '--only', 'convert', '--min-free-gib', '0'];
    const pid = await killAt('stage:convert:done', args, root);
    expect(existsSync(join(work, 'out/vvehicle-gateway-0.1.0/convert.json'))).toBe(true);
    expect(existsSync(join(work, '.state/convert.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(work, '.lock'), 'utf8')).pid).toBe(pid);

    const rerun = vvehicle(args, root);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toContain('unchanged since the last run');
    expect(rerun.stdout).toContain(`note: took over the lock ${join(work, '.lock')} left by a run that is gone (pid ${pid})`);
    expect(JSON.parse(readFileSync(join(work, '.state/convert.json'), 'utf8')).inputsDigest).toMatch(/^sha256:/);

    // a stage that runs again forgets its record first: killed mid-run, it is redone, never taken as done
    const skipped = vvehicle(args, root);
    expect(skipped.stderr).toContain('convert: unchanged since the last run');
    rmSync(join(work, 'out/vvehicle-gateway-0.1.0/convert.json'));
    await killAt('convert:staged', args, root);
    expect(JSON.parse(readFileSync(join(work, '.state/convert.json'), 'utf8'))).toEqual({});
    const redo = vvehicle(args, root);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.stdout).toMatch(/^note: removed .*\.vvehicle-gateway-0\.1\.0\.staging-/m);
    expect(existsSync(join(work, '.lock'))).toBe(false);
  }, 180_000);
});
