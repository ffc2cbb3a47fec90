import { run } from '../exec.js';

/** The qemu-system-aarch64 wrapper. */
export const QEMU_AARCH64 = 'qemu-system-aarch64';

export async function qemuVersion(): Promise<string | undefined> {
  const r = await run(QEMU_AARCH64, ['--version'], { allowFailure: true }).catch(() => undefined);
  return r && !r.failed ? (r.stdout.match(/version ([0-9.]+)/)?.[1] ?? r.stdout.split('\n')[0]) : undefined;
}
