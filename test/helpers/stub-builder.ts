import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec.js';
import { sha256Hex } from '../../src/plan/digest.js';
import { imageExists, importImage, type Engine } from '../../src/tools/engine.js';

const fixtures = join(import.meta.dirname, '../fixtures');
const APPLETS = ['sh', 'cat', 'sed', 'sleep', 'mkdir', 'id', 'echo', 'printf', 'cp', 'rm', 'touch', 'dirname', 'basename', 'true', 'env', 'ls', 'flock', 'timeout', 'nc', 'tty'];

/** podman here needs runc and no default ulimits (see shared/reference/environment.md). */
export function ensureContainersConf(): void {
  if (!process.env.CONTAINERS_CONF) {
    const file = '/tmp/containers.conf';
    if (!existsSync(file)) writeFileSync(file, '[containers]\ndefault_ulimits = []\n');
    process.env.CONTAINERS_CONF = file;
  }
}

/**
 * A tiny image: the host's static busybox, a builder user (uid 1001), and the stub bitbake with the
 * recorded logs. Imported with `<engine> import` (no registry); cached by the hash of what goes in.
 */
export async function stubBuilderImage(engine: Engine): Promise<string> {
  const stub = readFileSync(join(fixtures, 'stub-bitbake/bitbake'));
  const logs = readdirSync(join(fixtures, 'bitbake')).filter((f) => f.endsWith('.log') || f.endsWith('.dot')).sort();
  const digest = sha256Hex([stub.toString(), ...logs.map((f) => f + readFileSync(join(fixtures, 'bitbake', f), 'utf8')), APPLETS.join(',')].join('\n')).slice(0, 12);
  const tag = `localhost/vvehicle-test-stub-builder:${digest}`;
  if (await imageExists(engine, tag)) return tag;

  // a fresh directory per call: test files running in parallel may build the same image at once
  const cache = join(homedir(), '.cache/vvehicle-test');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(join(cache, `stub-builder-${digest}-`));
  for (const dir of ['bin', 'etc', 'tmp', 'home/builder', 'usr/local/bin', 'stub/logs', 'stub/graphs']) mkdirSync(join(root, dir), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nbuilder:x:1001:1001:builder:/home/builder:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nbuilder:x:1001:\n');
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'home/builder'), 0o1777);
  copyFileSync(join(fixtures, 'stub-bitbake/bitbake'), join(root, 'usr/local/bin/bitbake'));
  chmodSync(join(root, 'usr/local/bin/bitbake'), 0o755);
  symlinkSync('bitbake', join(root, 'usr/local/bin/bitbake-layers'));
  for (const f of logs) {
    if (f.endsWith('.dot')) copyFileSync(join(fixtures, 'bitbake', f), join(root, 'stub/graphs', f));
    else copyFileSync(join(fixtures, 'bitbake', f), join(root, 'stub/logs', f));
  }
  const tarball = `${root}.tar`;
  try {
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.']);
    await importImage(engine, tarball, tag);
  } finally {
    rmSync(tarball, { force: true });
    rmSync(root, { recursive: true, force: true });
  }
  return tag;
}
