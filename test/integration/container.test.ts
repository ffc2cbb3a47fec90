import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBitbake } from '../../src/bitbake/bitbake-run.js';
import { prepareMounts, type ContainerSetup } from '../../src/container/container.js';
import { openContext } from '../../src/context.js';
import { runCli } from '../helpers/cli.js';
import { leftoverContainers, loggedContainerNames, makeBuildProject, STUB_ENV, withEnv, type BuildProject } from '../helpers/build-project.js';
import { ensureBuilt } from '../helpers/built-cli.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { ENGINES, testEngine } from '../helpers/engines.js';
import { chownTree, notOwnedBy, testUser } from '../helpers/test-user.js';

const asRoot = process.getuid?.() === 0;
// invoked as root, bitbake runs as the image's builder user; otherwise as the invoking user
const expectedUid = asRoot ? 1001 : process.getuid!();

function topdir(work: string): string {
  return join(work, 'build/project');
}

describe.each(ENGINES)('bitbake in %s (stub bitbake replaying recorded real logs)', (engineName) => {
  let project: BuildProject;
  let root: string;
  beforeAll(async () => {
    // shared by the tests of this block (tempDir() would remove it after the first one)
    root = mkdtempSync(join(tmpdir(), `vvehicle-container-${engineName}-`));
    project = await makeBuildProject(root, await testEngine(engineName));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('build: mounts, ownership of outputs, env pass-through, full log; a rerun skips unchanged stages', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-ok');
    const r = await withEnv({ STUB_MARK: 'passed-through', STUB_BITBAKE_LOG: undefined }, () =>
      runCli(['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake']),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const deploy = join(topdir(work), 'tmp/deploy/images/qemuarm64');
    const rootfs = join(deploy, 'vvehicle-image-qemuarm64.rootfs.ext4');
    expect(readFileSync(rootfs, 'utf8')).toBe('stub rootfs for vvehicle-image\n');
    expect(statSync(rootfs).uid).toBe(expectedUid);
    expect(statSync(join(deploy, 'Image')).gid).toBe(expectedUid);

    const record = readFileSync(join(topdir(work), 'stub-record'), 'utf8');
    expect(record).toContain('argv=bitbake vvehicle-image\n');
    expect(record).toContain(`uid=${expectedUid} gid=${expectedUid} home=/home/builder\n`);
    expect(record).toContain('STUB_MARK=passed-through\n');
    expect(record).toContain('sources=ro\n');

    const logs = readdirSync(join(work, 'logs')).filter((f) => /^bitbake-\d{8}T\d{6}Z\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const log = readFileSync(join(work, 'logs', logs[0]!), 'utf8');
    expect(log.startsWith(`$ ${[project.engine.program, ...project.engine.globalArgs].join(' ')} run --rm --name vvehicle-project-`)).toBe(true);
    expect(log).toContain('NOTE: Running task 5 of 5 (');
    expect(log).toContain('NOTE: Tasks Summary: Attempted 5 tasks of which 0 didn\'t need to be rerun and all succeeded.');
    const builder = JSON.parse(readFileSync(join(work, 'builder.json'), 'utf8')) as { image: string; id: string };
    expect(builder.image).toBe(project.image);
    expect(builder.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const stage of ['layer', 'sources', 'builder', 'bitbake']) expect(existsSync(join(work, '.state', `${stage}.json`))).toBe(true);

    const again = await runCli(['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake']);
    expect(again.code).toBe(0);
    expect(readFileSync(join(topdir(work), 'stub-record'), 'utf8')).toBe(record); // bitbake did not run again
    expect(await leftoverContainers(project.engine, loggedContainerNames(work))).toEqual([]);
  });

  it('failure: the failing task, the logfile bitbake names and its last lines; exit code forwarded; no container left', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-fail');
    const args = ['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake'];
    const r = await withEnv({ STUB_BITBAKE_LOG: 'bitbake-failure.log' }, () => runCli(args));
    expect(r.code).toBe(1);
    const logfile = join(topdir(work), 'tmp/work/aarch64-agl-linux/lab-broken/1.0/temp/log.do_compile.11958');
    expect(r.stderr).toContain('error: bitbake failed with exit code 1: task lab-broken do_compile failed\n');
    expect(r.stderr).toContain('failed task: /work/lab/throwaway-layer/recipes-lab/lab-broken/lab-broken_1.0.bb:do_compile\n');
    expect(r.stderr).toContain(`Logfile of failure stored in: ${logfile}\n`);
    expect(r.stderr).toContain('--- last lines ---\nDEBUG: Executing shell function do_compile\nWARNING: exit code 1 from a shell command.\nlab-broken: about to fail on purpose\n');
    expect(existsSync(join(work, '.state/bitbake.json'))).toBe(false);

    const four = await withEnv({ STUB_BITBAKE_LOG: 'bitbake-failure-licchksum.log', STUB_EXIT_CODE: '4' }, () => runCli(args));
    expect(four.code).toBe(4);
    expect(four.stderr).toContain('task lab-badlic do_populate_lic failed');
    expect(await leftoverContainers(project.engine, loggedContainerNames(work))).toEqual([]);
  });

  it('parses progress from the container\'s output as it streams', { timeout: 120_000 }, async () => {
    const work = join(root, 'work-progress');
    const context = openContext({ config: project.config, workDir: work });
    const setup: ContainerSetup = { engine: project.engine, image: project.image, plan: context.plan, workDir: work, kvm: false, passEnv: [] };
    prepareMounts(setup);
    const progress: string[] = [];
    const logFile = join(root, 'progress.log');
    const result = await runBitbake(setup, { kind: 'build', target: 'vvehicle-image' }, { network: 'none', logFile, onProgress: (t) => progress.push(t) });
    expect(progress[0]).toBe('bitbake  1/5 tasks · base-files do_recipe_qa');
    expect(progress[progress.length - 1]).toBe('bitbake  5/5 tasks · base-files do_populate_lic');
    expect(result.summary).toMatchObject({ current: 5, total: 5, failed: [] });
    expect(readFileSync(join(topdir(work), 'stub-record'), 'utf8')).toContain('net=lo\n');
    rmSync(logFile);
  });
});

describe('rootful docker, invoked by a non-root user in the docker group', () => {
  // rootful Docker would write bitbake's outputs as root; run as the invoking user (--user uid:gid), they stay the user's
  it('build: every file in the work dir belongs to the user, bitbake ran with their uid', { timeout: 300_000 }, async () => {
    ensureBuilt();
    const user = await testUser('vvehicle-test', ['docker']);
    const root = mkdtempSync(join(tmpdir(), 'vvehicle-nonroot-'));
    try {
      const project = await makeBuildProject(root, await testEngine('docker'));
      mkdirSync(join(root, 'home'));
      chownTree(root, user.uid, user.gid); // the user's own project: config, upstream repos, home
      const work = join(root, 'work');
      const r = await runCliProcess(['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake'], {
        cwd: root,
        user: user.name,
        env: { HOME: join(root, 'home'), ...Object.fromEntries(STUB_ENV.map((k) => [k, undefined])) },
      });
      expect(r.code, r.stderr).toBe(0); // stderr: the plain renderer's progress lines (CI=true)
      expect(r.stderr).toContain('[COMPLETED] bitbake: run bitbake in the container');
      const rootfs = join(topdir(work), 'tmp/deploy/images/qemuarm64/vvehicle-image-qemuarm64.rootfs.ext4');
      expect(readFileSync(rootfs, 'utf8')).toBe('stub rootfs for vvehicle-image\n');
      expect(readFileSync(join(topdir(work), 'stub-record'), 'utf8')).toContain(`uid=${user.uid} gid=${user.gid} home=/home/builder\n`);
      expect(notOwnedBy(work, user.uid, user.gid)).toEqual([]);
      expect(await leftoverContainers(project.engine, loggedContainerNames(work))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
