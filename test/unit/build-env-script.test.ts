import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_ENV_SCRIPT } from '../../src/container/container.js';

/**
 * `vvehicle shell`/`bitbake` source poky's oe-init-build-env with the shell the builder image has. Real poky
 * reads $1 as TOPDIR and $2 as the bitbake dir, and Debian's sh (dash) ignores arguments to `.`: sourced with
 * the command's words as positional parameters, it took poky's own dir for TOPDIR ("Cannot write to …/poky")
 * or the command for the bitbake dir. This fake fails the same way the real one does.
 */
const FAKE_OE_INIT = [
  'if [ -n "$2" ]; then echo "bitbake dir $2 does not exist" >&2; return 1; fi',
  'BUILDDIR="$1"; export BUILDDIR; cd "$BUILDDIR" || return 1',
  '',
].join('\n');

// dash is the builder image's /bin/sh (Debian); busybox ash is the stub test images' sh
const SHELLS = [['/bin/dash'], ['/bin/bash'], ['/usr/bin/busybox', 'sh']];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vvehicle-build-env-'));
  mkdirSync(join(root, 'poky'));
  mkdirSync(join(root, 'top dir'));
  writeFileSync(join(root, 'poky', 'oe-init-build-env'), FAKE_OE_INIT);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the build env script', () => {
  it.each(SHELLS)('sources oe-init-build-env with TOPDIR only, then runs the command with its arguments intact (%s)', (...shell) => {
    const [program, ...pre] = shell;
    const topdir = join(root, 'top dir');
    const r = spawnSync(program!, [...pre, '-c', BUILD_ENV_SCRIPT, 'vvehicle-shell', join(root, 'poky'), topdir, 'sh', '-c', 'echo "dir=$(pwd) builddir=$BUILDDIR args=$*"; exit 7', 'x', 'a b', '-e'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`dir=${topdir} builddir=${topdir} args=a b -e\n`);
    expect(r.status).toBe(7);
  });

  it.each(SHELLS)('stops with exit 1 when oe-init-build-env fails (%s)', (...shell) => {
    const [program, ...pre] = shell;
    const r = spawnSync(program!, [...pre, '-c', BUILD_ENV_SCRIPT, 'vvehicle-shell', join(root, 'poky'), join(root, 'missing'), 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
  });
});
