import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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
