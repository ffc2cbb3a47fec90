import { existsSync, mkdtempSync, rmSync, mkdirSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { create as createTar } from 'tar';
import { run, type RunOptions } from '../exec.js';
import { decisiveLine } from '../errors.js';

/** The container engine wrapper (docker or podman): argv in, results out. */
export type EngineName = 'docker' | 'podman';

export interface Engine {
  name: EngineName;
  /** The client program: the engine's name looked up on PATH, or a path (build.engineClient). */
  program: string;
  /** Global options placed before the subcommand, e.g. podman's ["--runtime", "runc"], docker's ["--host", "unix:///…"]. */
  globalArgs: string[];
}

export function engineOf(name: EngineName, globalArgs: string[] = [], client?: string): Engine {
  return { name, program: client ?? name, globalArgs };
}

/** How long `--version` may take: the client alone answers at once, but Debian's docker 20.10 asks the daemon first. */
const VERSION_ANSWER_MS = 10_000;

/**
 * The client's version line; undefined when it is not installed. A client that hangs on a hung daemon is
 * installed: the daemon question that follows (probeContainerRun, bounded) says what is wrong.
 */
export async function engineVersion(program: string): Promise<string | undefined> {
  const result = await run(program, ['--version'], { allowFailure: true, timeoutMs: VERSION_ANSWER_MS }).catch(() => undefined);
  if (result?.timedOut) return `${program} (no answer to --version within ${VERSION_ANSWER_MS / 1000} s)`;
  return result && !result.failed ? result.stdout.trim() : undefined;
}

/** How long `info` may take before the engine's daemon counts as hung. */
export const ENGINE_ANSWER_MS = 30_000;

export function engineArgs(engine: Engine, args: string[]): string[] {
  return [...engine.globalArgs, ...args];
}

function engineRun(engine: Engine, args: string[], options: RunOptions = {}) {
  return run(engine.program, engineArgs(engine, args), options);
}

/**
 * Proves the engine can start a container, not just answer --version, without a registry: a
 * throwaway root filesystem holding the host's static busybox. podman runs it in place (--rootfs);
 * docker has no such option, so it is imported as a throwaway image, run, and removed again.
 * Without busybox on the host, a local image (the builder) is run instead.
 */
export async function probeContainerRun(engine: Engine, localImage?: string): Promise<{ ok: boolean; detail: string }> {
  // first a bounded question to the daemon (dockerd, or podman's service in remote mode): a dead or
  // hung one must end in a message, not a hang
  // (docker: `version`, whose failure is the one line "Cannot connect to the Docker daemon at …";
  // `docker info` ends its failure with "errors pretty printing info")
  const question = engine.name === 'docker' ? ['version', '--format', '{{.Server.Version}}'] : ['info'];
  const answer = await engineRun(engine, question, { allowFailure: true, timeoutMs: ENGINE_ANSWER_MS });
  if (answer.timedOut) return { ok: false, detail: `\`${engine.name} ${question[0]}\` did not answer within ${ENGINE_ANSWER_MS / 1000} s` };
  if (answer.failed) return { ok: false, detail: lastLine(answer.stderr) || `${engine.name} ${question[0]} failed` };
  if (existsSync('/bin/busybox')) {
    const dir = mkdtempSync(join(tmpdir(), 'vvehicle-probe-'));
    try {
      const rootfs = join(dir, 'rootfs');
      mkdirSync(join(rootfs, 'bin'), { recursive: true });
      copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
      symlinkSync('busybox', join(rootfs, 'bin/true'));
      const r = engine.name === 'podman'
        ? await engineRun(engine, ['run', '--rm', '--network', 'none', '--rootfs', rootfs, '/bin/true'], { allowFailure: true })
        : await runThrowawayImage(engine, rootfs, join(dir, 'rootfs.tar'));
      return r.failed ? { ok: false, detail: lastLine(r.stderr) } : { ok: true, detail: 'ran a throwaway container' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!localImage) return { ok: true, detail: 'engine answers (no busybox on this host and no local image yet to test a run)' };
  const r = await engineRun(engine, ['run', '--rm', '--network', 'none', localImage, 'true'], { allowFailure: true });
  return r.failed ? { ok: false, detail: lastLine(r.stderr) } : { ok: true, detail: `ran ${localImage}` };
}

async function runThrowawayImage(engine: Engine, rootfs: string, tarball: string) {
  await createTar({ file: tarball, cwd: rootfs, portable: true }, ['.']);
  const tag = `localhost/vvehicle-probe:${basename(dirname(rootfs)).replace(/[^a-zA-Z0-9_.-]/g, '-').toLowerCase()}`;
  const imported = await engineRun(engine, ['import', tarball, tag], { allowFailure: true });
  if (imported.failed) return imported;
  try {
    return await engineRun(engine, ['run', '--rm', '--network', 'none', tag, '/bin/true'], { allowFailure: true });
  } finally {
    await engineRun(engine, ['image', 'rm', '--force', tag], { allowFailure: true });
  }
}

function lastLine(text: string): string {
  return decisiveLine(text) ?? '';
}

/** `<engine> image exists` (podman) / `image inspect` (docker): is this image here, without pulling? */
export async function imageExists(engine: Engine, image: string): Promise<boolean> {
  const args = engine.name === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', '--format', '{{.Id}}', image];
  const r = await engineRun(engine, args, { allowFailure: true });
  return !r.failed;
}

/** The content id of a local image (what the manifest records). */
export async function imageId(engine: Engine, image: string, options: RunOptions = {}): Promise<string> {
  const { stdout } = await engineRun(engine, ['image', 'inspect', '--format', '{{.Id}}', image], options);
  const id = stdout.trim().split('\n')[0] ?? '';
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

export async function pullImage(engine: Engine, image: string, options: RunOptions = {}): Promise<void> {
  await engineRun(engine, ['pull', image], options);
}

/** Builds `containerfile` (a path inside `contextDir`) and tags it. */
export async function buildImage(engine: Engine, tag: string, containerfile: string, contextDir: string, options: RunOptions = {}): Promise<void> {
  await engineRun(engine, ['build', '--tag', tag, '--file', containerfile, contextDir], options);
}

/** Imports a root filesystem tarball as an image: the registry-free way to get a base. */
export async function importImage(engine: Engine, tarball: string, tag: string, options: RunOptions = {}): Promise<void> {
  await engineRun(engine, ['import', tarball, tag], options);
}

/** Stops and removes a container we started; quiet when it is already gone. */
export async function removeContainer(engine: Engine, name: string): Promise<void> {
  const args = engine.name === 'podman' ? ['rm', '--force', '--time', '2', name] : ['rm', '--force', name];
  await engineRun(engine, args, { allowFailure: true });
}

/** Names of containers (running or not) whose name starts with `prefix`. */
export async function containersNamed(engine: Engine, prefix: string): Promise<string[]> {
  const { stdout } = await engineRun(engine, ['ps', '--all', '--format', '{{.Names}}']);
  return stdout.split('\n').map((l) => l.trim()).filter((n) => n.startsWith(prefix));
}
