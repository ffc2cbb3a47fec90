import { randomBytes } from 'node:crypto';
import { existsSync, lchownSync, mkdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { runStreaming, tailLines } from '../exec.js';
import { ToolError, UserError } from '../errors.js';
import { onCleanup } from '../signals.js';
import { removeContainer, type Engine } from '../tools/engine.js';
import { hashservArgv, hashservPath, type HashservOptions } from '../tools/hashserv.js';
import { BUILDER_GID, BUILDER_UID, containerUser, runArgv } from '../container/container-argv.js';
import { containerEnv } from '../container/container.js';
import { buildPaths } from '../bitbake/configure.js';
import { selinuxEnforcing } from '../container/preflight.js';
import type { BuildPlan } from '../plan/types.js';
import { repoDir } from '../plan/repo-dir.js';

export interface ServeInput {
  engine: Engine;
  image: string;
  plan: BuildPlan;
  workDir: string;
  bind: string;
  database: string;
  readOnly: boolean;
  upstream?: string;
  logLevel: HashservOptions['logLevel'];
  /** How long the server may take to accept connections. */
  readyTimeoutSec: number;
  logFile: string;
  signal: AbortSignal;
  /** Every line the server logs. */
  onLine: (line: string) => void;
  /** Once the server accepts connections on `bind`. */
  onReady: (info: { container: string; command: string }) => void;
}

/** The pinned poky checkout: the repository that provides the `meta` layer. */
export function pokyDir(plan: BuildPlan, workDir: string): string {
  const poky = plan.repos.find((r) => r.layers.includes('meta'));
  if (!poky) throw new UserError('no repository in sources.repos provides the layer `meta` (poky): bitbake-hashserv comes from it');
  return repoDir(workDir, poky);
}

/** Where a client on this machine connects for a bind address (an any-address bind is reached on loopback). */
export function probeAddress(bind: string): { host: string; port: number } {
  const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(bind);
  if (!m) throw new UserError(`--bind ${bind}: expected host:port, e.g. 127.0.0.1:8686 (or :8686 for every address)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port: Number(m[3]) };
}

function accepts(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    socket.setTimeout(2000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Runs poky's bitbake-hashserv from the pinned checkout in the builder container until it exits or we
 * are interrupted (the container is then removed). Host network: the server binds the host's address
 * as given, so build containers on this machine (and, bound to a public address, the build farm)
 * reach it at BB_HASHSERVE = "host:port". The database lives on the host and outlives the container.
 */
export async function serveHashEquivalence(input: ServeInput): Promise<void> {
  const poky = pokyDir(input.plan, input.workDir);
  if (!existsSync(hashservPath(poky))) {
    throw new UserError(`${hashservPath(poky)} does not exist: the poky checkout has no bitbake-hashserv`, 'run `vvehicle sources` (poky scarthgap ships bitbake/bin/bitbake-hashserv)');
  }
  const address = probeAddress(input.bind);
  if (await accepts(address)) throw new UserError(`${input.bind} is already taken: something accepts connections there`, 'choose another --bind port, or point build.hashEquivalence at the server already running there');
  const dbDir = dirname(input.database);
  mkdirSync(dbDir, { recursive: true });
  const hostUid = process.getuid?.() ?? 0;
  const hostGid = process.getgid?.() ?? 0;
  const user = containerUser({ engine: input.engine.name, hostUid, hostGid });
  // as root, the server runs as the image's builder user: it must own the database directory
  if (hostUid === 0 && user.uid === BUILDER_UID && statSync(dbDir).uid !== BUILDER_UID) lchownSync(dbDir, BUILDER_UID, BUILDER_GID);

  const name = `vvehicle-hashserv-${randomBytes(4).toString('hex')}`;
  const command = hashservArgv({ pokyDir: poky, bind: input.bind, database: input.database, readOnly: input.readOnly, upstream: input.upstream, logLevel: input.logLevel });
  const argv = runArgv({
    engine: input.engine.name,
    globalArgs: input.engine.globalArgs,
    name,
    image: input.image,
    hostUid,
    hostGid,
    mounts: [
      { path: buildPaths(input.plan, input.workDir).sources, readOnly: true },
      { path: dbDir, readOnly: false },
    ],
    workdir: dbDir,
    env: containerEnv(input.plan, input.workDir, []),
    passEnv: [],
    network: 'host',
    kvm: false,
    selinuxEnforcing: selinuxEnforcing(),
    command,
  });
  const forget = onCleanup(() => removeContainer(input.engine, name));
  const recent: string[] = [];
  let exited = false;
  try {
    const running = runStreaming(input.engine.program, argv, {
      logFile: input.logFile,
      signal: input.signal,
      onLine: (line) => {
        recent.push(line);
        if (recent.length > 40) recent.shift();
        input.onLine(line);
      },
    }).finally(() => (exited = true));
    const ready = waitUntilAccepting(address, input.readyTimeoutSec, () => exited, input.signal);
    const first = await Promise.race([running.then((r) => ({ exit: r })), ready.then((ok) => ({ ready: ok }))]);
    if ('exit' in first) throw notStarted(input, first.exit.exitCode, recent);
    if (!first.ready) {
      if (exited) throw notStarted(input, (await running).exitCode, recent);
      throw new UserError(`bitbake-hashserv did not accept connections on ${input.bind} within ${input.readyTimeoutSec}s; its log: ${input.logFile}`, tailLines(recent.join('\n'), 10) || undefined);
    }
    input.onReady({ container: name, command: command.join(' ') });
    const { exitCode, command: full } = await running;
    if (exitCode !== 0) throw new ToolError(full, exitCode, tailLines(recent.join('\n')), `bitbake-hashserv stopped with exit code ${exitCode}; its log: ${input.logFile}`);
  } finally {
    await removeContainer(input.engine, name);
    forget();
  }
}

async function waitUntilAccepting(address: { host: string; port: number }, timeoutSec: number, gone: () => boolean, signal: AbortSignal): Promise<boolean> {
  const end = Date.now() + timeoutSec * 1000;
  while (Date.now() < end && !gone() && !signal.aborted) {
    if (await accepts(address)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function notStarted(input: ServeInput, exitCode: number, recent: string[]): UserError {
  const inUse = recent.some((l) => /address already in use/i.test(l));
  return new UserError(
    `bitbake-hashserv exited (code ${exitCode}) before accepting connections on ${input.bind}${inUse ? ': the address is already in use' : ''}`,
    `${inUse ? 'choose another --bind port; ' : ''}its output:\n${tailLines(recent.join('\n'), 15)}`,
  );
}
