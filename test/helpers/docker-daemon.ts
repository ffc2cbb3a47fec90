import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec.js';
import { sha256Hex } from '../../src/plan/digest.js';
import { engineOf, type Engine } from '../../src/tools/engine.js';
import { CACHE_ROOT, withLock } from './fixtures/cache.js';

/**
 * A real Docker engine for the container tests: Debian's dockerd (docker.io), started by the tests
 * themselves on their own socket and data root, never the host's daemon. Its data root lives in the
 * test cache (~/.cache/vvehicle-test/docker), so images imported once (the ≈ 870 MB debootstrapped
 * builder base, the stub builder) are reused by later runs.
 *
 * Test files run in two workers and several test runs (worktrees) may run at once: the daemon is
 * shared. Whoever needs it first starts it (under a lock); each run holds a lease (a file named
 * after its main process) from global setup until teardown, and the last run to leave stops the
 * daemon by the pid in its pid file (never by name).
 */

/** Debian's client: /usr/local/bin/docker on these machines is another client, first on PATH. */
export const DOCKER_CLIENT = '/usr/bin/docker';
const DOCKERD = '/usr/sbin/dockerd';

const root = join(CACHE_ROOT, 'docker');
// the socket must be reachable by the non-root test user (not under /root) and short (sun_path)
const runDir = `/run/vvehicle-test-docker-${sha256Hex(root).slice(0, 8)}`;
const paths = {
  dataRoot: join(root, 'data'),
  pidFile: join(root, 'dockerd.pid'),
  log: join(root, 'dockerd.log'),
  leases: join(root, 'leases'),
  lock: join(root, 'daemon.lock'),
  execRoot: join(runDir, 'exec'),
  socket: join(runDir, 'docker.sock'),
};

export const dockerHost = `unix://${paths.socket}`;

/** The engine as vvehicle is told to use it: Debian's client, pointed at our socket. */
export const TEST_DOCKER: Engine = engineOf('docker', ['--host', dockerHost], DOCKER_CLIENT);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function daemonPid(): number | undefined {
  const pid = existsSync(paths.pidFile) ? Number(readFileSync(paths.pidFile, 'utf8').trim()) : 0;
  return pid && alive(pid) ? pid : undefined;
}

async function answers(): Promise<boolean> {
  const r = await run(DOCKER_CLIENT, ['--host', dockerHost, 'version', '--format', '{{.Server.Version}}'], { allowFailure: true, timeoutMs: 10_000 });
  return !r.failed;
}

/** Starts dockerd unless it already runs; throws (a test failure, not a skip) when it cannot. */
export async function ensureDockerDaemon(): Promise<Engine> {
  mkdirSync(root, { recursive: true });
  await withLock(paths.lock, async () => {
    if (daemonPid() && (await answers())) return;
    const stale = daemonPid();
    if (stale) await stopPid(stale); // running but not answering: start afresh
    if (!existsSync(DOCKERD) || !existsSync(DOCKER_CLIENT)) {
      throw new Error(`Docker engine missing (${DOCKERD}, ${DOCKER_CLIENT}): scripts/install-host-deps.sh installs docker.io`);
    }
    mkdirSync(paths.execRoot, { recursive: true });
    rmSync(paths.socket, { force: true });
    const log = openSync(paths.log, 'a');
    const daemon = spawn(DOCKERD, [
      '--iptables=false', '--bridge=none', '--data-root', paths.dataRoot, '--exec-root', paths.execRoot,
      '--pidfile', paths.pidFile, '--host', dockerHost, '--group', 'docker',
    ], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    let exited: string | undefined;
    daemon.on('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
    daemon.on('error', (e) => (exited = e.message));
    daemon.unref(); // it outlives this worker: the last run's teardown stops it
    const end = Date.now() + 120_000;
    while (!(await answers())) {
      if (exited || Date.now() > end) {
        if (!exited) await stopPid(daemon.pid!);
        const tail = readFileSync(paths.log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
        throw new Error(`dockerd did not start (${exited ?? 'no answer within 120 s'}); ${paths.log}:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  return TEST_DOCKER;
}

async function stopPid(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + 60_000;
  while (alive(pid)) {
    if (Date.now() > end) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Global setup: this run's lease. */
export function takeLease(runPid = process.pid): void {
  mkdirSync(paths.leases, { recursive: true });
  writeFileSync(join(paths.leases, String(runPid)), '');
}

/** Global teardown: gives the lease back; the last live run stops the daemon (by its pid file). */
export async function returnLease(runPid = process.pid): Promise<void> {
  mkdirSync(root, { recursive: true });
  await withLock(paths.lock, async () => {
    rmSync(join(paths.leases, String(runPid)), { force: true });
    const leases = existsSync(paths.leases) ? readdirSync(paths.leases) : [];
    for (const dead of leases.filter((f) => !alive(Number(f)))) rmSync(join(paths.leases, dead), { force: true }); // runs that were killed
    const others = leases.filter((f) => alive(Number(f)));
    if (others.length) return;
    const pid = daemonPid();
    if (pid) await stopPid(pid);
  });
}
