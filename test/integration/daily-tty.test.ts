import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_TERMINAL_SCREENDIR } from '../../src/container/container.js';
import { packageRoot } from '../../src/package-paths.js';
import { leftoverContainers, STUB_ENV } from '../helpers/build-project.js';
import { testEngine, useEngine } from '../helpers/engines.js';
import { makeFakeSources, writeProjectFile, type FakeSources } from '../helpers/git-repos.js';
import { startOnPty } from '../helpers/pty.js';
import { stubBuilderImage } from '../helpers/stub-builder.js';
import type { Engine } from '../../src/tools/engine.js';

/**
 * Issue 11, point 3 on a real terminal: `vvehicle shell` and `vvehicle bitbake -- -c devshell R` on a
 * pseudo-terminal (util-linux `script`), against podman (runc) and the stub bitbake, whose devshell opens a
 * shell on the terminal as bitbake's does (and fails without one, as bitbake's does). Without a terminal the
 * container gets no stdin and no tty.
 */
const cli = join(packageRoot, 'dist', 'cli.js');
const OE_INIT = 'BUILDDIR="$1"; export BUILDDIR; OE_INIT_SOURCED=yes; export OE_INIT_SOURCED; cd "$BUILDDIR"\n';

let root: string;
let config: string;
let fake: FakeSources;
let rewriteArgs: string[];
let engine: Engine;
beforeAll(async () => {
  if (!existsSync(join(packageRoot, 'dist', 'commands', 'shell.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
  root = mkdtempSync(join(tmpdir(), 'vvehicle-tty-'));
  engine = await testEngine('podman');
  const image = await stubBuilderImage(engine);
  fake = await makeFakeSources(join(root, 'upstream'));
  await fake.repos.poky!.commit({ 'oe-init-build-env': OE_INIT });
  config = writeProjectFile(root, fake, (c) => {
    useEngine(c, engine);
    c.build.image = image;
    c.build.env = [...STUB_ENV];
  });
  rewriteArgs = fake.rewriteFlags.flatMap((f) => ['--rewrite', f]);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The engine command lines a run logged (`$ podman … run …`). */
function runLines(work: string): string[] {
  const dir = join(work, 'logs');
  return readdirSync(dir).filter((f) => f.startsWith('bitbake-')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => / run --rm --name vvehicle-/.test(l)));
}
const containerNames = (lines: string[]) => lines.map((l) => / --name (\S+)/.exec(l)![1]!);
const env = () => ({ ...process.env, TERM: 'xterm' });

describe('on a terminal', () => {
  it('vvehicle shell: the prompt appears, a typed command runs in the container with the build env sourced, its exit status comes back', { timeout: 300_000 }, async () => {
    const work = join(root, 'work-shell');
    const topdir = join(work, 'build/project');
    const pty = startOnPty(['node', cli, 'shell', '-c', config, '-w', work, ...rewriteArgs], env());
    try {
      await pty.waitFor(/[$#] $/m);
      pty.type('echo "dir=$(pwd) oe=$OE_INIT_SOURCED builddir=$BUILDDIR term=$(tty)"');
      await pty.waitFor(new RegExp(`dir=${topdir} oe=yes builddir=${topdir} term=/dev/pts/\\d+`));
      pty.type('exit 5');
      expect(await pty.exited).toBe(5);
    } finally {
      pty.kill();
    }
    const lines = runLines(work);
    expect(lines.at(-1)).toContain(' --interactive --tty ');
    expect(await leftoverContainers(engine, containerNames(lines))).toEqual([]);
  });

  it('vvehicle bitbake -- -c devshell R: the devshell prompt appears, a typed command runs in the recipe\'s dir, bitbake ends with 0', { timeout: 300_000 }, async () => {
    const work = join(root, 'work-devshell');
    const topdir = join(work, 'build/project');
    const pty = startOnPty(['node', cli, 'bitbake', '-c', config, '-w', work, ...rewriteArgs, '--', '-c', 'devshell', 'ueransim'], env());
    try {
      await pty.waitFor(/devshell:ueransim# $/m);
      pty.type('echo "in=$(pwd) devshell=$STUB_DEVSHELL builddir=$BUILDDIR"');
      await pty.waitFor(new RegExp(`in=${topdir}/tmp/work/stub/ueransim/git devshell=ueransim builddir=${topdir}`));
      pty.type('exit');
      await pty.waitFor(/NOTE: Tasks Summary: Attempted 1 tasks/);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
    expect(readFileSync(join(topdir, 'stub-record'), 'utf8')).toMatch(/argv=bitbake -c devshell ueransim\nuid=.*\n(.*\n){3}devshell=ueransim tty=\/dev\/pts\/\d+\n/);
    expect(runLines(work).at(-1)).toContain(' --interactive --tty ');
    expect(runLines(work).at(-1)).not.toContain('SCREENDIR');
  });
});

describe('without a terminal', () => {
  it('stays non-interactive: no stdin, no tty in the container; devshell fails as bitbake does; shell without a command is refused', { timeout: 300_000 }, async () => {
    const work = join(root, 'work-notty');
    // stdin a pipe that stays open: with -i the container would wait on it
    const r = spawnSync('node', [cli, 'bitbake', '-c', config, '-w', work, ...rewriteArgs, '--', '-c', 'devshell', 'ueransim'], { encoding: 'utf8', env: env(), stdio: ['pipe', 'pipe', 'pipe'], timeout: 240_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('ERROR: ueransim-1.0-r0 do_devshell: No valid terminal found, unable to open devshell.');
    expect(r.status).toBe(1);
    const lines = runLines(work);
    expect(lines.at(-1)).not.toContain('--interactive');
    expect(lines.at(-1)).not.toContain('--tty');
    // real bitbake's devshell would start a detached screen nobody can attach and wait for it: screen gets no socket dir
    expect(lines.at(-1)).toContain(` --env SCREENDIR=${NO_TERMINAL_SCREENDIR} `);

    const shell = spawnSync('node', [cli, 'shell', '-c', config, '-w', join(root, 'work-notty-shell')], { encoding: 'utf8', env: env(), input: 'echo hi\n' });
    expect(shell.status).toBe(2);
    expect(shell.stderr).toContain('vvehicle shell without a command needs a terminal');
    expect(shell.stderr).toContain('vvehicle shell -- bitbake -e vvehicle-image');
    expect(existsSync(join(root, 'work-notty-shell'))).toBe(false);
  });
});
