import { existsSync, mkdtempSync, rmSync, mkdirSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunOptions } from '../exec.js';
import { decisiveLine, UserError } from '../errors.js';

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
  return decisiveLine(text) ?? '';
}

/** `<engine> image exists` (podman) / `image inspect` (docker): is this image here, without pulling? */
export async function imageExists(engine: Engine, image: string): Promise<boolean> {
  const args = engine.name === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', '--format', '{{.Id}}', image];
  const r = await run(engine.name, engineArgs(engine, args), { allowFailure: true });
  return !r.failed;
}

/** The content id of a local image (what the manifest records). */
export async function imageId(engine: Engine, image: string, options: RunOptions = {}): Promise<string> {
  const { stdout } = await run(engine.name, engineArgs(engine, ['image', 'inspect', '--format', '{{.Id}}', image]), options);
  const id = stdout.trim().split('\n')[0] ?? '';
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

export async function pullImage(engine: Engine, image: string, options: RunOptions = {}): Promise<void> {
  await run(engine.name, engineArgs(engine, ['pull', image]), options);
}

/** Builds `containerfile` (a path inside `contextDir`) and tags it. */
export async function buildImage(engine: Engine, tag: string, containerfile: string, contextDir: string, options: RunOptions = {}): Promise<void> {
  await run(engine.name, engineArgs(engine, ['build', '--tag', tag, '--file', containerfile, contextDir]), options);
}

/** Imports a root filesystem tarball as an image: the registry-free way to get a base. */
export async function importImage(engine: Engine, tarball: string, tag: string, options: RunOptions = {}): Promise<void> {
  await run(engine.name, engineArgs(engine, ['import', tarball, tag]), options);
}

/** Stops and removes a container we started; quiet when it is already gone. */
export async function removeContainer(engine: Engine, name: string): Promise<void> {
  const args = engine.name === 'podman' ? ['rm', '--force', '--time', '2', name] : ['rm', '--force', name];
  await run(engine.name, engineArgs(engine, args), { allowFailure: true });
}

/** Names of containers (running or not) whose name starts with `prefix`. */
export async function containersNamed(engine: Engine, prefix: string): Promise<string[]> {
  const { stdout } = await run(engine.name, engineArgs(engine, ['ps', '--all', '--format', '{{.Names}}']));
  return stdout.split('\n').map((l) => l.trim()).filter((n) => n.startsWith(prefix));
}
