import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../errors.js';
import { chooseAccel, readHostFacts, type Accel } from '../host/accel.js';
import { aptInstall, packageOf } from '../host/packages.js';
import { BASE_CMDLINE } from '../smoke/run-smoke.js';
import { createQcow2 } from '../tools/qemu-img.js';
import { machineFor, startPaused } from '../tools/qemu.js';
import type { CheckResult } from './checks.js';

export const QEMU_START_CHECK = 'qemu smoke machine';

export interface SmokeMachine {
  accel: 'auto' | Accel;
  memoryMiB: number;
  cpus: number;
}

/**
 * Starts exactly what `vvehicle smoke` starts (bootArgs: the same -M, -cpu, accelerator, disk and NIC
 * devices) on a blank qcow2 and a blank kernel, paused, then stops it: a QEMU that lacks a ROM, a
 * machine type or an accelerator fails here, with its own line, instead of at the first smoke boot.
 */
export async function checkQemuStart(smoke: SmokeMachine): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vvehicle-doctor-'));
  const accel = chooseAccel(smoke.accel, readHostFacts());
  const { machine, cpu } = machineFor(accel.accel);
  try {
    const kernel = join(dir, 'Image');
    // never executed (-S): QEMU only has to load it, as it loads a real kernel
    writeFileSync(kernel, Buffer.alloc(64 * 1024));
    const disk = join(dir, 'disk.qcow2');
    await createQcow2(disk, 64);
    await startPaused({ accel: accel.accel, memoryMiB: smoke.memoryMiB, cpus: smoke.cpus, kernel, disk, cmdline: BASE_CMDLINE, forwards: [] }, join(dir, 'qemu.pid'));
    return { name: QEMU_START_CHECK, status: 'ok', detail: `started -M ${machine} -cpu ${cpu} (${accel.accel}) with the smoke disk and NIC, paused, then stopped` };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    return { name: QEMU_START_CHECK, status: 'fail', detail: error.message.split('\n')[0]!, fix: fixFor(error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The package (or step) that makes QEMU start, from what the failing program said. */
export function fixFor(error: ToolError): string {
  const program = error.command.split(' ')[0]!;
  if (error.exitCode === 127) return aptInstall(packageOf(program) ?? program);
  const rom = /failed to find romfile "([^"]+)"/.exec(error.message)?.[1];
  if (rom && /^(efi|pxe)-/.test(rom)) return `${aptInstall('ipxe-qemu')} (QEMU's network boot ROMs; it looks for ${rom} in the dirs \`${program} -L help\` lists)`;
  if (rom) return `install the package that ships ${rom} (\`apt-file search ${rom}\`); QEMU looks for it in the dirs \`${program} -L help\` lists`;
  if (/kvm/i.test(error.message)) return 'make /dev/kvm read/write for this user (sudo usermod -aG kvm $USER, then log in again) or set smoke.accel: tcg';
  return `${aptInstall('--reinstall qemu-system-arm qemu-system-data')}; the line above is QEMU's own`;
}
