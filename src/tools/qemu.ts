import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError } from '../errors.js';
import { run, startDetached, type DetachedProcess } from '../exec.js';
import type { Accel } from '../host/accel.js';
import { followFile } from '../host/follow-file.js';
import { onCleanup } from '../signals.js';

/** The qemu-system-aarch64 wrapper: version probe, argv for a direct-kernel smoke boot, launch. */
export const QEMU_AARCH64 = 'qemu-system-aarch64';

export async function qemuVersion(): Promise<string | undefined> {
  const r = await run(QEMU_AARCH64, ['--version'], { allowFailure: true }).catch(() => undefined);
  return r && !r.failed ? (r.stdout.match(/version ([0-9.]+)/)?.[1] ?? r.stdout.split('\n')[0]) : undefined;
}

/** A guest TCP port reachable on 127.0.0.1:hostPort through user-mode networking. */
export interface HostForward {
  hostPort: number;
  guestPort: number;
}

/** One -fw_cfg item: a text value, or a file QEMU reads (so the value never shows in its argv). */
export interface FwCfgEntry {
  name: string;
  string?: string;
  file?: string;
}

export interface BootSpec {
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd?: string;
  /**
   * The qcow2 to boot. QEMU opens it read-only and writes to its own throwaway overlay (snapshot=on),
   * made in `scratchDir` and unlinked at once: nothing is left to clean up, not even after a SIGKILL.
   */
  disk: string;
  /** Where QEMU makes that overlay ($TMPDIR); default: the system's temp dir. */
  scratchDir?: string;
  cmdline: string;
  forwards: HostForward[];
  /** fw_cfg items (the vehicle's systemd credentials under opt/io.systemd.credentials/). */
  fwCfg?: FwCfgEntry[];
  /** The file QEMU appends the serial console to; without one the console goes nowhere. */
  consoleFile?: string;
}

/** QEMU's option syntax: a comma inside a value is written twice. */
const optionValue = (value: string) => value.replace(/,/g, ',,');

function fwCfgArgs(entries: readonly FwCfgEntry[]): string[] {
  return entries.flatMap((e) => {
    const source = e.file !== undefined ? `file=${optionValue(e.file)}` : `string=${optionValue(e.string ?? '')}`;
    return ['-fw_cfg', `name=${optionValue(e.name)},${source}`];
  });
}

/** -M and -cpu per accelerator (oe-core qemuarm64.conf: cortex-a57 emulated, host + GICv3 under KVM). */
export function machineFor(accel: Accel): { machine: string; cpu: string } {
  return accel === 'kvm' ? { machine: 'virt,gic-version=3', cpu: 'host' } : { machine: 'virt', cpu: 'cortex-a57' };
}

/** The full argv (without the program name). Pure, so tests can check it without starting QEMU. */
export function bootArgs(spec: BootSpec): string[] {
  const { machine, cpu } = machineFor(spec.accel);
  const hostfwd = spec.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  return [
    '-M', machine,
    '-accel', spec.accel,
    '-cpu', cpu,
    '-smp', String(spec.cpus),
    '-m', String(spec.memoryMiB),
    // the serial console is our only output: into the console file, no monitor, no display, no reboot loop after a panic
    '-display', 'none',
    '-monitor', 'none',
    ...(spec.consoleFile ? ['-chardev', `file,id=console0,path=${optionValue(spec.consoleFile)},append=on`, '-serial', 'chardev:console0'] : ['-serial', 'null']),
    '-no-reboot',
    '-kernel', spec.kernel,
    ...(spec.initrd ? ['-initrd', spec.initrd] : []),
    '-append', spec.cmdline,
    // snapshot=on: the base is opened read-only, guest writes go to QEMU's own temp overlay (no
    // qemu-img process, and no overlay file left behind whatever kills QEMU)
    '-drive', `if=none,id=disk0,file=${optionValue(spec.disk)},format=qcow2,snapshot=on`,
    '-device', 'virtio-blk-pci,drive=disk0',
    '-netdev', `user,id=net0${hostfwd}`,
    // romfile= (empty): direct kernel boot never runs the NIC's option ROM, so QEMU must not need
    // efi-virtio.rom (ipxe-qemu, only a Recommends of qemu-system-arm) to start
    '-device', 'virtio-net-pci,netdev=net0,romfile=',
    ...fwCfgArgs(spec.fwCfg ?? []),
  ];
}

/** How often the console file is read while QEMU runs: the most a console line waits to be judged. */
const CONSOLE_POLL_MS = 10;

/**
 * Boots the guest in its own process group. QEMU appends the serial console to spec.consoleFile, and
 * what it adds is handed to onConsole; everything is handed over before `exited` resolves. The
 * caller must stop() it (and registers that as a cleanup for Ctrl-C).
 */
export function launchQemu(spec: BootSpec & { consoleFile: string }, onConsole: (chunk: string) => void, logFile?: string): DetachedProcess {
  const follower = followFile(spec.consoleFile, onConsole, CONSOLE_POLL_MS);
  let qemu: DetachedProcess;
  try {
    qemu = startDetached(QEMU_AARCH64, bootArgs(spec), { logFile, env: scratchEnv(spec) });
  } catch (error) {
    follower.stop();
    throw error;
  }
  const exited = qemu.exited.then((result) => {
    follower.drain();
    follower.stop();
    return result;
  });
  return {
    ...qemu,
    exited,
    stop: async (graceMs?: number) => {
      await qemu.stop(graceMs);
      await exited;
    },
  };
}

/** QEMU makes the snapshot overlay in $TMPDIR. */
const scratchEnv = (spec: BootSpec) => (spec.scratchDir ? { TMPDIR: spec.scratchDir } : undefined);

/**
 * Proves QEMU can start this machine: starts the boot argv paused (-S, the guest never runs) with
 * -daemonize, whose first process exits 0 only once the machine and every device (ROMs, disk, NIC)
 * were created, or exits non-zero with QEMU's own error. Then stops the paused QEMU by the pid it
 * wrote. The serial console goes to null instead of a file; everything else is bootArgs as smoke
 * runs it. Throws a ToolError carrying QEMU's own lines.
 */
export async function startPaused(spec: BootSpec, pidFile: string): Promise<void> {
  const args = bootArgs({ ...spec, consoleFile: undefined });
  const unregister = onCleanup(() => stopByPidFile(pidFile));
  try {
    await run(QEMU_AARCH64, [...args, '-S', '-daemonize', '-pidfile', pidFile], { env: scratchEnv(spec) }).catch((error: unknown) => {
      if (error instanceof ToolError && error.exitCode !== 127) throw new ToolError(error.command, error.exitCode, error.tail, `QEMU could not start (exit ${error.exitCode})`);
      throw error;
    });
  } finally {
    await stopByPidFile(pidFile);
    unregister();
  }
}

/** SIGTERM to the pid QEMU wrote (our own temp file, so it is our QEMU), SIGKILL if it lingers. */
async function stopByPidFile(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (let waited = 0; alive() && waited < 5000; waited += 50) await sleep(50);
  if (alive()) signal('SIGKILL');
}
