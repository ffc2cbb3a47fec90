import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { command } from './fixtures/command.js';

/**
 * Real libvirt for the fleet tests, as root and without systemd (reference/environment.md): the
 * packages and the libvirt-qemu user come from scripts/install-host-deps.sh; this starts virtlogd and
 * libvirtd when they are not running. They are left running for the other test files (like a podman
 * storage); stop them by their pid files (/run/libvirtd.pid, /run/virtlogd.pid), never by name.
 */
export const TEST_URI = 'qemu:///system';

const DAEMONS = [
  { bin: '/usr/sbin/virtlogd', pidFile: '/run/virtlogd.pid' },
  { bin: '/usr/sbin/libvirtd', pidFile: '/run/libvirtd.pid' },
];

function alive(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function connects(): Promise<boolean> {
  return command('virsh', ['-q', '-c', TEST_URI, 'uri']).then(
    () => true,
    () => false,
  );
}

let ready: Promise<string> | undefined;

export function ensureLibvirt(): Promise<string> {
  ready ??= start();
  return ready;
}

async function start(): Promise<string> {
  if (await connects()) return TEST_URI;
  for (const d of DAEMONS) if (!existsSync(d.bin)) throw new Error(`${d.bin} is missing: run scripts/install-host-deps.sh (libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients)`);
  await command('id', ['libvirt-qemu']).catch(() => {
    throw new Error('the QEMU driver needs a libvirt-qemu user: run scripts/install-host-deps.sh');
  });
  mkdirSync('/var/log/libvirt', { recursive: true });
  mkdirSync('/run/libvirt', { recursive: true });
  for (const d of DAEMONS) {
    // another test worker may be starting it at the same time: the daemon's own pid-file lock lets one win
    if (!alive(d.pidFile)) await command(d.bin, ['-d']).catch(() => undefined);
  }
  for (let i = 0; i < 60; i++) {
    if (await connects()) return TEST_URI;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`libvirtd did not answer on ${TEST_URI} within 30 s (see /var/log/libvirt/libvirtd.log)`);
}

/** Domains on the test URI whose name starts with prefix. */
export async function domainsNamed(prefix: string): Promise<string[]> {
  const out = await command('virsh', ['-q', '-c', TEST_URI, 'list', '--all', '--name']);
  return out.split('\n').map((l) => l.trim()).filter((n) => n.startsWith(prefix));
}

/**
 * A libvirtd of this test's own: the session daemon (qemu:///session) of a dedicated non-root user, with
 * every directory it uses (XDG_RUNTIME_DIR, config, cache, data, HOME) in a temp dir. Its domains and
 * socket are nobody else's, so a test may stop it, hang it or restart it — by its pid, which is the
 * pid of the process spawned here (no -d: it does not fork away). QEMU runs as that user, so the fleet
 * CLI must run as that user too (`env`, `uid`, `gid` below), with files the user owns.
 * The URI names the socket: virsh must not autospawn a new daemon when this one is down.
 */
export interface PrivateLibvirtd {
  uri: string;
  user: { name: string; uid: number; gid: number };
  /** HOME and XDG_* for processes of that user. */
  env: Record<string, string>;
  pid(): number | undefined;
  /** SIGTERM (as `systemctl stop` would), resolves once it exited. */
  stop(): Promise<void>;
  /** Starts it again on the same directories (it finds the domains still running). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a daemon that accepts connections and never answers, then one that does again. */
  freeze(): void;
  thaw(): void;
  /** Stops it and the virtlogd it spawned, and removes its directories. */
  dispose(): Promise<void>;
}

export async function privateLibvirtd(user: { name: string; uid: number; gid: number }): Promise<PrivateLibvirtd> {
  // short: QEMU's monitor socket lives below it, and a UNIX socket path has at most 107 bytes
  const home = mkdtempSync('/tmp/vvl-');
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: join(home, 'run'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_DATA_HOME: join(home, 'data'),
  };
  for (const d of [home, env.XDG_RUNTIME_DIR!, env.XDG_CONFIG_HOME!, env.XDG_CACHE_HOME!, env.XDG_DATA_HOME!]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, user.uid, user.gid);
  }
  const socket = join(env.XDG_RUNTIME_DIR!, 'libvirt', 'libvirt-sock');
  const uri = `qemu+unix:///session?socket=${socket}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const answers = () => command('virsh', ['-q', '-c', uri, 'uri']).then(() => true, () => false);
  const start = async () => {
    let log = '';
    child = spawn('/usr/sbin/libvirtd', ['--timeout', '0'], { uid: user.uid, gid: user.gid, env, cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (log += t));
    const c = child;
    exited = new Promise((r) => c.on('exit', () => r()));
    for (let i = 0; i < 120; i++) {
      if (await answers()) return;
      if (c.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the private libvirtd did not answer on ${uri}:\n${log.slice(-2000)}`);
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  await start();
  return {
    uri,
    user,
    env,
    pid: () => child?.pid,
    stop,
    start,
    freeze: () => child?.pid && process.kill(child.pid, 'SIGSTOP'),
    thaw: () => child?.pid && process.kill(child.pid, 'SIGCONT'),
    dispose: async () => {
      if (child?.pid && child.exitCode === null) process.kill(child.pid, 'SIGCONT');
      // its domains go with it: a test that failed half-way may have left one running
      if (!child || child.exitCode !== null || child.signalCode !== null) await start().catch(() => undefined);
      const names = await command('virsh', ['-q', '-c', uri, 'list', '--all', '--name']).catch(() => '');
      for (const name of names.split('\n').map((l) => l.trim()).filter(Boolean)) {
        await command('virsh', ['-q', '-c', uri, 'destroy', name]).catch(() => undefined);
        await command('virsh', ['-q', '-c', uri, 'undefine', name]).catch(() => undefined);
      }
      await stop();
      // the session virtlogd libvirtd spawned for this user's consoles: stopped by its pid file
      const virtlogdPid = join(env.XDG_RUNTIME_DIR!, 'libvirt', 'virtlogd.pid');
      if (existsSync(virtlogdPid)) {
        const pid = Number(readFileSync(virtlogdPid, 'utf8').trim());
        try {
          if (pid) process.kill(pid, 'SIGTERM');
        } catch {
          /* gone already */
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
