import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The real qemu-system-aarch64 on PATH (a test that needs it fails, never skips, when it is missing). */
export function realQemu(): string {
  return execFileSync('sh', ['-c', 'command -v qemu-system-aarch64'], { encoding: 'utf8' }).trim();
}

/**
 * A PATH dir whose qemu-system-aarch64 is the real QEMU with the smoke NIC's `romfile=` pointed at a
 * ROM that exists nowhere: QEMU itself refuses to start exactly as it did for efi-virtio.rom on a host
 * without ipxe-qemu. Not a mock: every line it prints is real QEMU output.
 */
export function qemuMissingRomDir(dir: string): string {
  const bin = join(dir, 'missing-rom-bin');
  mkdirSync(bin, { recursive: true });
  const wrapper = join(bin, 'qemu-system-aarch64');
  writeFileSync(wrapper, `#!/bin/bash\nexec ${realQemu()} "\${@/%romfile=/romfile=vvehicle-missing.rom}"\n`);
  chmodSync(wrapper, 0o755);
  return bin;
}

/** A PATH dir holding only the named programs (symlinks to the real ones), e.g. qemu-img without QEMU. */
export function pathWithOnly(dir: string, programs: string[]): string {
  const bin = join(dir, 'only-bin');
  mkdirSync(bin, { recursive: true });
  for (const p of programs) symlinkSync(execFileSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).trim(), join(bin, p));
  return bin;
}

/**
 * A PATH dir holding a copy of the real QEMU away from its data dir (QEMU looks for ROMs relative to
 * its binary, so this copy finds none), run by a wrapper that drops the smoke NIC's `romfile=`:
 * QEMU as it was before issue 8, on a host without ipxe-qemu. It fails with QEMU's real line
 * `failed to find romfile "efi-virtio.rom"` whatever this host has installed.
 */
export function qemuWithoutRomsDir(dir: string): string {
  const bin = join(dir, 'no-data-dir', 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(realQemu(), join(bin, 'qemu-system-aarch64.real'));
  chmodSync(join(bin, 'qemu-system-aarch64.real'), 0o755);
  const wrapper = join(bin, 'qemu-system-aarch64');
  writeFileSync(wrapper, `#!/bin/bash\nexec ${join(bin, 'qemu-system-aarch64.real')} "\${@/%,romfile=/}"\n`);
  chmodSync(wrapper, 0o755);
  return bin;
}

/** PIDs of processes whose command line mentions `text` (e.g. a private TMPDIR): what a test left running. */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d) && Number(d) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
