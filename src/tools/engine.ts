import { existsSync, mkdtempSync, rmSync, mkdirSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec.js';
import { UserError } from '../errors.js';

/** The container engine wrapper (docker or podman): argv in, results out. */
export type EngineName = 'docker' | 'podman';

export interface Engine {
  name: EngineName;
  /** Global options placed before the subcommand, e.g. podman's ["--runtime", "runc"]. */
  globalArgs: string[];
}

export async function engineVersion(name: EngineName): Promise<string | undefined> {
  const result = await run(name, ['--version'], { allowFailure: true }).catch(() => undefined);
  return result && !result.failed ? result.stdout.trim() : undefined;
}

/** `auto` prefers podman (daemonless, rootless-friendly), then docker. */
export async function selectEngine(wanted: 'auto' | EngineName, globalArgs: string[] = []): Promise<Engine> {
  const order: EngineName[] = wanted === 'auto' ? ['podman', 'docker'] : [wanted];
  for (const name of order) if (await engineVersion(name)) return { name, globalArgs };
  throw new UserError(
    wanted === 'auto' ? 'no container engine found (neither podman nor docker is on PATH)' : `${wanted} is not installed`,
    'install one: `sudo apt-get install podman` (Debian/Ubuntu), or Docker Engine from docs.docker.com',
  );
}

export function engineArgs(engine: Engine, args: string[]): string[] {
  return [...engine.globalArgs, ...args];
}

/**
 * Proves the engine can start a container, not just answer --version. podman can run a throwaway
 * rootfs holding the host's static busybox, so no registry is needed; docker needs a local image.
 */
export async function probeContainerRun(engine: Engine, localImage?: string): Promise<{ ok: boolean; detail: string }> {
  if (engine.name === 'podman' && existsSync('/bin/busybox')) {
    const rootfs = mkdtempSync(join(tmpdir(), 'vvehicle-probe-'));
    try {
      mkdirSync(join(rootfs, 'bin'));
      copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
      symlinkSync('busybox', join(rootfs, 'bin/true'));
      const r = await run('podman', engineArgs(engine, ['run', '--rm', '--network', 'none', '--rootfs', rootfs, '/bin/true']), { allowFailure: true });
      return r.failed ? { ok: false, detail: lastLine(r.stderr) } : { ok: true, detail: 'ran a throwaway container' };
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }
  const info = await run(engine.name, engineArgs(engine, ['info']), { allowFailure: true });
  if (info.failed) return { ok: false, detail: lastLine(info.stderr) || `${engine.name} info failed` };
  if (!localImage) return { ok: true, detail: 'engine answers (no local image yet to test a run)' };
  const r = await run(engine.name, engineArgs(engine, ['run', '--rm', '--network', 'none', localImage, 'true']), { allowFailure: true });
  return r.failed ? { ok: false, detail: lastLine(r.stderr) } : { ok: true, detail: `ran ${localImage}` };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
