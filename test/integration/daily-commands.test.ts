import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runArgv, type RunSpec } from '../../src/container/container-argv.js';
import { packageRoot } from '../../src/package-paths.js';
import { runCli } from '../helpers/cli.js';
import { leftoverContainers, STUB_ENV } from '../helpers/build-project.js';
import { makeFakeSources, writeProjectFile, type FakeSources } from '../helpers/git-repos.js';
import { ENGINES, testEngine, useEngine } from '../helpers/engines.js';
import { stubBuilderImage } from '../helpers/stub-builder.js';
import type { Engine, EngineName } from '../../src/tools/engine.js';

/**
 * Issue 11, point 3: the daily commands, on both engines (podman with runc, and a dockerd the tests start) with the stub bitbake that replays recorded
 * real bitbake output. poky here is a local git repo whose oe-init-build-env only does what the real one
 * does for us: cd into the build dir and export BUILDDIR (plus a marker the test looks for).
 */
const cli = join(packageRoot, 'dist', 'cli.js');
// like poky's, it takes $2 for the bitbake dir: sourced with more than TOPDIR, it fails
const OE_INIT = 'if [ -n "$2" ]; then echo "bitbake dir $2 does not exist" >&2; return 1; fi\nBUILDDIR="$1"; export BUILDDIR; OE_INIT_SOURCED=yes; export OE_INIT_SOURCED; cd "$BUILDDIR"\n';

let root: string;
let fake: FakeSources;
let rewriteArgs: string[];
beforeAll(async () => {
  if (!existsSync(join(packageRoot, 'dist', 'commands', 'shell.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
  root = mkdtempSync(join(tmpdir(), 'vvehicle-daily-'));
  fake = await makeFakeSources(join(root, 'upstream'));
  await fake.repos.poky!.commit({ 'oe-init-build-env': OE_INIT });
  rewriteArgs = fake.rewriteFlags.flatMap((f) => ['--rewrite', f]);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A project on this engine, with the stub builder image: the config file's path. */
async function projectOn(engineName: EngineName): Promise<{ engine: Engine; config: string }> {
  const engine = await testEngine(engineName);
  const image = await stubBuilderImage(engine);
  const dir = join(root, engineName);
  mkdirSync(dir, { recursive: true });
  const config = writeProjectFile(dir, fake, (c) => {
    useEngine(c, engine);
    c.build.image = image;
    c.build.env = [...STUB_ENV];
  });
  return { engine, config };
}

function vvehicle(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('node', [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const record = (work: string) => readFileSync(join(work, 'build/project/stub-record'), 'utf8');

describe.each(ENGINES)('vvehicle shell and vvehicle bitbake on %s', (engineName) => {
  let engine: Engine;
  let config: string;
  beforeAll(async () => ({ engine, config } = await projectOn(engineName)), 300_000);

  it('shell -- CMD runs in the builder container with the build env sourced, proxies passed, exit code forwarded', { timeout: 300_000 }, () => {
    const work = join(root, engineName, 'work-shell');
    const r = vvehicle(['shell', '-c', config, '-w', work, ...rewriteArgs, '--', 'sh', '-c', 'echo "dir=$(pwd) builddir=$BUILDDIR oe=$OE_INIT_SOURCED proxy=$http_proxy uid=$(id -u)"; exit 7'], { http_proxy: 'http://proxy.lab:3128' });
    expect(r.stderr).not.toContain('error:');
    const topdir = join(work, 'build/project');
    expect(r.stdout).toContain(`dir=${topdir} builddir=${topdir} oe=yes proxy=http://proxy.lab:3128 uid=${process.getuid?.() === 0 ? 1001 : process.getuid!()}`);
    expect(r.code).toBe(7);
  });

  it('bitbake ARGS runs bitbake with exactly those arguments and prints its output on stdout', { timeout: 300_000 }, async () => {
    const work = join(root, engineName, 'work-bitbake');
    const r = vvehicle(['bitbake', '-c', config, '-w', work, ...rewriteArgs, '--', '-e', 'virtual/kernel']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('NOTE: Tasks Summary');
    expect(record(work)).toContain('argv=bitbake -e virtual/kernel\n');
    const logs = readFileSync(join(work, 'logs', readdirSync(join(work, 'logs')).find((f) => f.startsWith('bitbake-'))!), 'utf8');
    // the engine's client as configured (--engine-client): on these machines `docker` on PATH is another client
    expect(logs.startsWith(`$ ${engine.program} `), logs.split('\n')[0]).toBe(true);
    const names = [...logs.matchAll(/ --name (vvehicle-\S+)/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    expect(await leftoverContainers(engine, names)).toEqual([]);
  });
});

describe.each(ENGINES)('build on %s: bitbake flags and forcing a stage', (engineName) => {
  let config: string;
  beforeAll(async () => ({ config } = await projectOn(engineName)), 300_000);

  it('--target/--task/-k and args after -- reach bitbake; such a run always runs and stops after bitbake; --force-stage reruns a stage', { timeout: 400_000 }, async () => {
    const work = join(root, engineName, 'work-build');
    const base = ['build', '-c', config, '-w', work, ...rewriteArgs, '--min-free-gib', '1'];
    const custom = await runCli([...base, '--target', 'ueransim', '--task', 'cleansstate', '-k', '--', '-v']);
    expect(custom.stderr).toBe('');
    expect(custom.code).toBe(0);
    expect(custom.stdout).toContain('note: not run: convert, smoke, manifest, publish');
    expect(custom.stdout).toContain('ran layer → sources → configure → builder → bitbake');
    expect(record(work)).toContain('argv=bitbake --continue --cmd cleansstate ueransim -v\n');
    const again = await runCli([...base, '--target', 'ueransim', '--task', 'cleansstate', '-k', '--', '-v']);
    expect(again.code).toBe(0);
    expect(record(work).split('argv=bitbake --continue --cmd cleansstate ueransim -v').length - 1).toBe(2);

    const plain = await runCli([...base, '--until', 'bitbake']);
    expect(plain.code).toBe(0);
    expect(record(work)).toContain('argv=bitbake vvehicle-image\n');
    const runs = () => record(work).split('argv=bitbake vvehicle-image\n').length - 1;
    expect(runs()).toBe(1);
    await runCli([...base, '--until', 'bitbake']);
    expect(runs()).toBe(1); // unchanged: skipped
    const forced = await runCli([...base, '--until', 'bitbake', '--force-stage', 'bitbake']);
    expect(forced.code).toBe(0);
    expect(runs()).toBe(2);
  });
});

describe('build: bad flags and help (no engine needed)', () => {
  let config: string;
  beforeAll(() => {
    mkdirSync(join(root, 'plain'), { recursive: true });
    config = writeProjectFile(join(root, 'plain'), fake, () => {});
  });

  it('refuses bad flags with exit 2 before anything runs', async () => {
    const work = join(root, 'work-bad');
    const cases: [string[], string][] = [
      [['--task', 'x y'], '--task x y: not a task name'],
      [['--target', 'a"b'], '--target a"b: not a recipe or target name'],
      [['--force-stage', 'nope'], '--force-stage nope: unknown stage id'],
      [['--until', 'sources', '--force-stage', 'bitbake'], '--force-stage bitbake: the stage is not selected in this run'],
      [['--skip', 'bitbake', '--target', 'ueransim'], 'need the bitbake stage'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['build', '-c', config, '-w', work, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(work)).toBe(false);
  });

  it('build --help lists the stage ids', async () => {
    const r = vvehicle(['build', '--help']);
    expect(r.stdout).toContain('Stage ids, in order: layer sources configure builder bitbake convert smoke manifest publish');
  });
});

describe('interactive container argv', () => {
  it('keeps stdin open and asks for a terminal only when we have one', () => {
    const spec: RunSpec = {
      engine: 'podman', globalArgs: [], name: 'n', image: 'i', hostUid: 0, hostGid: 0, mounts: [], workdir: '/w', env: {}, passEnv: [],
      network: 'default', kvm: false, selinuxEnforcing: false, command: ['sh'],
    };
    expect(runArgv({ ...spec, interactive: { tty: true } }).join(' ')).toContain('run --rm --name n --user 1001:1001 --interactive --tty ');
    expect(runArgv({ ...spec, interactive: { tty: false } }).join(' ')).not.toContain('--tty');
  });
});
