import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
