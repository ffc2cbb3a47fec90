import { accessSync, constants, existsSync, mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { daemonFault } from '../faults.js';
import { engineOf, engineVersion, probeContainerRun, type Engine, type EngineName } from '../tools/engine.js';

/** Checks made before anything is written, so bad input ends with one message and an untouched disk. */

/** `auto` prefers podman (daemonless, rootless-friendly), then docker. `client` names the program (a path) for a named engine. */
export async function chooseEngine(wanted: 'auto' | EngineName, globalArgs: string[], client?: string): Promise<Engine> {
  if (client && wanted === 'auto') throw new UserError(`--engine-client ${client} names one engine's client`, 'pick it with --engine docker or --engine podman as well');
  const order: EngineName[] = wanted === 'auto' ? ['podman', 'docker'] : [wanted];
  for (const name of order) {
    const engine = engineOf(name, globalArgs, client);
    if (await engineVersion(engine.program)) return engine;
  }
  throw new UserError(
    wanted === 'auto'
      ? 'no container engine found: neither podman nor docker is on PATH'
      : client ? `container engine client ${client} does not run (\`${client} --version\` failed)` : `container engine ${wanted} is not installed (not found on PATH)`,
    'install podman (`sudo apt-get install podman runc`) or Docker, or pick the other one with --engine',
  );
}

/** An engine that answers --version may still be unable to start a container (no daemon, crun on hybrid cgroups). */
export async function requireRunnableEngine(engine: Engine, image?: string): Promise<void> {
  const probe = await probeContainerRun(engine, image);
  if (probe.ok) return;
  const daemon = daemonFault(probe.detail, engine.name);
  if (daemon) throw daemon;
  const hints = [
    engine.name === 'docker' ? 'start the Docker daemon (`sudo systemctl start docker`), point --engine-arg=--host at its socket, or use --engine podman' : '',
    /crun|cgroup/i.test(probe.detail) ? 'crun fails on hybrid cgroups: add --engine-arg=--runtime --engine-arg=runc' : '',
    /rlimit|ulimit/i.test(probe.detail) ? 'without CAP_SYS_RESOURCE: set CONTAINERS_CONF to a containers.conf with [containers] default_ulimits = []' : '',
  ].filter(Boolean);
  throw new UserError(`${engine.name} cannot run containers: ${probe.detail}`, hints.join('; ') || '`vvehicle doctor` shows what is missing');
}

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** The work dir (or the nearest existing parent) must be writable; checked with access(2), root included. */
export function requireWritableWorkDir(workDir: string): void {
  const where = nearestExisting(workDir);
  try {
    accessSync(where, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`work directory ${workDir} is not writable (${code === 'EROFS' ? 'read-only file system' : `${code} at ${where}`})`, 'pass -w DIR on a writable disk');
  }
}

export function requireFreeSpace(workDir: string, minFreeGiB: number): void {
  const where = nearestExisting(workDir);
  const stats = statfsSync(where);
  const freeGiB = (stats.bavail * stats.bsize) / 2 ** 30;
  if (freeGiB < minFreeGiB) {
    throw new UserError(
      `only ${freeGiB.toFixed(1)} GiB free at ${where}; this needs at least ${minFreeGiB} GiB`,
      'free space, pass -w DIR on a larger disk, or lower the threshold with --min-free-gib',
    );
  }
}

export function selinuxEnforcing(): boolean {
  const file = '/sys/fs/selinux/enforce';
  return existsSync(file) && readFileSync(file, 'utf8').trim() === '1';
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true });
}
