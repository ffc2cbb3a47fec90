import { run } from '../exec.js';

/** The qemu-img wrapper. */
export async function qemuImgVersion(): Promise<string | undefined> {
  const r = await run('qemu-img', ['--version'], { allowFailure: true }).catch(() => undefined);
  return r && !r.failed ? (r.stdout.match(/version ([0-9.]+)/)?.[1] ?? r.stdout.split('\n')[0]) : undefined;
}
