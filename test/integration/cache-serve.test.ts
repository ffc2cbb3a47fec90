import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-paths.js';
import { containersNamed } from '../../src/tools/engine.js';
import { runCli } from '../helpers/cli.js';
import { STUB_ENV, withEnv } from '../helpers/build-project.js';
import { makeFakeSources, writeProjectFile, type FakeSources } from '../helpers/git-repos.js';
import { freePort } from '../helpers/registry.js';
import { ENGINES, testEngine, useEngine } from '../helpers/engines.js';
import { stubBuilderImage } from '../helpers/stub-builder.js';
import type { Engine } from '../../src/tools/engine.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `vvehicle cache serve` on both engines, wired to the pinned poky's bitbake-hashserv. CI has no poky (it may
 * not be committed, and CI cannot fetch it), so the fake poky checkout carries a stub server that records
 * its argv and the first line of each connection; the stub bitbake of `check` opens with the real client's
 * protocol line. What is real: the checkout, the builder container, its network and mounts, the conf line,
 * the reachability from the check container. The real server and bitbake: scripts/real-cache-check.sh.
 */
const cliJs = join(packageRoot, 'dist', 'cli.js');
let root: string;
let fake: FakeSources;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vvehicle-cache-'));
  fake = await makeFakeSources(join(root, 'upstream'));
  // the stub server lands where poky keeps the real one: bitbake/bin/ of the pinned checkout
  const bin = join(root, 'upstream', 'poky-work', 'bitbake', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const f of ['bitbake-hashserv', 'stub-hashserv-session']) {
    copyFileSync(join(packageRoot, 'test/fixtures/stub-hashserv', f), join(bin, f));
    chmodSync(join(bin, f), 0o755);
  }
  await fake.repos.poky!.commit({}, 'stub bitbake-hashserv');
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rewriteArgs = () => fake.rewriteFlags.flatMap((f) => ['--rewrite', f]);

/** `vvehicle cache serve` as a user starts it: its own process, stopped with a signal. */
function serve(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [cliJs, 'cache', 'serve', ...args], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe.each(ENGINES)('vvehicle cache serve (%s, the pinned poky checkout; stub server in CI)', (engineName) => {
  let TEST_ENGINE: Engine;
  let image: string;
  let dir: string;
  beforeAll(async () => {
    TEST_ENGINE = await testEngine(engineName);
    image = await stubBuilderImage(TEST_ENGINE);
    dir = join(root, engineName);
  }, 300_000);

  function project(at: string, hashEquivalence?: string): string {
    mkdirSync(at, { recursive: true });
    return writeProjectFile(at, fake, (c) => {
      useEngine(c, TEST_ENGINE);
      c.build.image = image;
      c.build.env = [...STUB_ENV];
      if (hashEquivalence) c.build.hashEquivalence = hashEquivalence as 'auto';
    });
  }

  it('runs bitbake-hashserv from the pinned poky with the database in the work dir; `check` with hashEquivalence host:port reaches it from its container; SIGTERM stops it', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const serverWork = join(dir, 'server-work');
    const server = serve(['-c', project(join(dir, 'server')), '-w', serverWork, '--bind', `127.0.0.1:${port}`, '--read-only', '--log-level', 'debug', ...rewriteArgs()]);
    try {
      await waitFor('the ready line', () => (server.out().includes('hash equivalence server ready') ? true : server.child.exitCode !== null ? false : undefined), 240_000, 250);
      expect(server.out(), server.err()).toContain(`hash equivalence server ready on 127.0.0.1:${port} (read-only)\n`);
      expect(server.out()).toContain(`builds use it with build.hashEquivalence: 127.0.0.1:${port}`);

      const record = () => readFileSync(join(serverWork, 'hashserv', 'hashserv-stub-record'), 'utf8');
      expect(record()).toContain(
        `argv=${serverWork}/sources/poky/bitbake/bin/bitbake-hashserv --bind 127.0.0.1:${port} --database ${serverWork}/hashserv/hashserv.db --log DEBUG --read-only\n`,
      );
      // run as root, the server runs as the builder image's unprivileged user, like bitbake
      if (process.getuid?.() === 0) expect(record()).toContain('uid=1001 gid=1001');
      const container = /container {2}(vvehicle-hashserv-[0-9a-f]+)/.exec(server.out())![1]!;
      // started with the engine's client as configured (--engine-client), not whatever `docker` is first on PATH
      const log = readFileSync(/log {8}(\S+)/.exec(server.out())![1]!, 'utf8');
      expect(log.startsWith(`$ ${TEST_ENGINE.program} `), log.split('\n')[0]).toBe(true);
      expect(await containersNamed(TEST_ENGINE, 'vvehicle-hashserv-')).toContain(container);

      // a second server on the same address is refused up front
      const second = await runCli(['cache', 'serve', '-c', project(join(dir, 'second')), '-w', join(dir, 'second-work'), '--bind', `127.0.0.1:${port}`, ...rewriteArgs()]);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`error: 127.0.0.1:${port} is already taken`);

      const work = join(dir, 'check-work');
      const check = await withEnv({ STUB_GRAPH: 'vvehicle-image.task-depends.dot' }, () => runCli(['check', '-c', project(join(dir, 'client'), `127.0.0.1:${port}`), '-w', work, ...rewriteArgs()]));
      expect(check.code, check.stderr).toBe(0);
      expect(readFileSync(join(work, 'build/project/conf/vvehicle.conf'), 'utf8')).toContain(`BB_SIGNATURE_HANDLER = "OEEquivHash"\nBB_HASHSERVE = "127.0.0.1:${port}"\n`);
      // the server saw bitbake's protocol line, sent from inside the check's container (host network: the server is on loopback)
      expect(record()).toContain('client: OEHASHEQUIV 1.1\n');
      expect(readFileSync(join(work, 'build/project/stub-record'), 'utf8')).toContain(`hashserve=127.0.0.1:${port} reached`);

      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(130);
      expect(await containersNamed(TEST_ENGINE, 'vvehicle-hashserv-')).not.toContain(container);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  it('check with a hash server that is not running fails, naming it (it is not silently skipped)', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const work = join(dir, 'down-work');
    const check = await runCli(['check', '-c', project(join(dir, 'down'), `127.0.0.1:${port}`), '-w', work, ...rewriteArgs()]);
    expect(check.code).not.toBe(0);
    expect(check.stderr).toContain(`Unable to connect to hash equivalence server at '127.0.0.1:${port}'`);
    expect(existsSync(join(work, 'build/project/conf/vvehicle.conf'))).toBe(true);
  });
});
