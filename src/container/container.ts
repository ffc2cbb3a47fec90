import { randomBytes } from 'node:crypto';
import { existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAttached, runStreaming } from '../exec.js';
import { writeFileAtomic } from '../files/atomic.js';
import type { BuildPlan } from '../plan/types.js';
import { onCleanup } from '../signals.js';
import { removeContainer, type Engine } from '../tools/engine.js';
import { BUILDER_GID, BUILDER_UID, containerUser, runArgv, type Mount, type RunSpec } from './container-argv.js';
import { buildPaths } from '../bitbake/configure.js';
import { selinuxEnforcing } from './preflight.js';
import { UserError } from '../errors.js';
import { repoDir } from '../plan/repo-dir.js';

export interface ContainerSetup {
  engine: Engine;
  image: string;
  plan: BuildPlan;
  workDir: string;
  kvm: boolean;
  /** Host variables passed through to bitbake by name (build.env, proxies, SSH_AUTH_SOCK). */
  passEnv: readonly string[];
  /** Host paths outside the work dir the build reads (mirrors, reference objects, build.mounts); never created or chowned. */
  hostMounts?: readonly Mount[];
  /** Widens a command's network just enough to reach the configured hash servers. */
  widenNetwork?: (wanted: RunSpec['network']) => RunSpec['network'];
}

export function containerName(profile: string): string {
  return `vvehicle-${profile.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

/** What the container sees: checkouts, path repositories and our layer read-only; TOPDIR, DL_DIR, SSTATE_DIR writable. */
export function buildMounts(plan: BuildPlan, workDir: string): Mount[] {
  const p = buildPaths(plan, workDir);
  return [
    { path: p.sources, readOnly: true },
    { path: p.layer, readOnly: true },
    { path: p.topdir, readOnly: false },
    { path: p.downloads, readOnly: false },
    { path: p.sstate, readOnly: false },
    // path repositories are used in place: the same path inside, and never written by the build
    ...plan.repos.flatMap((r) => (r.kind === 'local' ? [{ path: r.path, readOnly: true }] : [])),
  ];
}

/** poky's scripts and bitbake/bin first, as oe-init-build-env would set them (no shell needed). */
export function containerEnv(plan: BuildPlan, workDir: string, passEnv: readonly string[]): Record<string, string> {
  const poky = plan.repos.find((r) => r.layers.includes('meta'));
  const pokyDir = poky ? repoDir(workDir, poky) : undefined;
  const path = [...(pokyDir ? [`${pokyDir}/scripts`, `${pokyDir}/bitbake/bin`] : []), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return {
    PATH: path.join(':'),
    BUILDDIR: buildPaths(plan, workDir).topdir,
    LANG: 'en_US.UTF-8',
    LC_ALL: 'en_US.UTF-8',
    // bitbake scrubs its environment; these survive into the build
    ...(passEnv.length ? { BB_ENV_PASSTHROUGH_ADDITIONS: passEnv.join(' ') } : {}),
  };
}

/**
 * Where screen keeps its sockets when there is no terminal: a directory that cannot exist, named to say why.
 * Without a terminal, knotty cannot attach the devshell's screen session (it only warns "connect in another terminal
 * with screen -r …", which nobody can inside the container) and bitbake would wait for it forever (`vvehicle build --task
 * devshell`, `vvehicle bitbake -- -c devshell R | tee`). With this,
 * screen fails at once ("Cannot access /nonexistent/…") and so does the task. It reaches screen through
 * BB_ORIGENV (terminal.bbclass hands the original environment to the terminal), which is not part of bitbake's
 * configuration hash: no reparse when a run without a terminal follows one with.
 */
export const NO_TERMINAL_SCREENDIR = '/nonexistent/vvehicle-devshell-needs-a-terminal';

export function runSpec(setup: ContainerSetup, name: string, command: readonly string[], network: RunSpec['network']): RunSpec {
  return {
    engine: setup.engine.name,
    globalArgs: setup.engine.globalArgs,
    name,
    image: setup.image,
    hostUid: process.getuid?.() ?? 0,
    hostGid: process.getgid?.() ?? 0,
    mounts: [...buildMounts(setup.plan, setup.workDir), ...(setup.hostMounts ?? [])],
    workdir: buildPaths(setup.plan, setup.workDir).topdir,
    // no terminal here (build, check, a pipe): see NO_TERMINAL_SCREENDIR; only attachedRunSpec on a tty drops it
    env: { ...containerEnv(setup.plan, setup.workDir, setup.passEnv), SCREENDIR: NO_TERMINAL_SCREENDIR },
    passEnv: setup.passEnv,
    network: setup.widenNetwork?.(network) ?? network,
    kvm: setup.kvm,
    selinuxEnforcing: selinuxEnforcing(),
    command,
  };
}

/**
 * Creates the mount points and, when we run as root (bitbake then runs as the image's builder
 * user), hands the writable ones to that user. Directories already owned by it are not descended
 * into: what is below was written by the builder, and sstate can hold millions of files.
 */
export function prepareMounts(setup: ContainerSetup): void {
  const user = containerUser({ engine: setup.engine.name, hostUid: process.getuid?.() ?? 0, hostGid: process.getgid?.() ?? 0 });
  // checkouts and path repositories are only read (a path repository is the user's and is never modified)
  const readOnly = new Set([buildPaths(setup.plan, setup.workDir).sources, ...setup.plan.repos.flatMap((r) => (r.kind === 'local' ? [r.path] : []))]);
  for (const m of buildMounts(setup.plan, setup.workDir)) {
    mkdirSync(m.path, { recursive: true });
    // our layer too: it holds owner-only files (ue.yaml) the builder user must read
    if (!readOnly.has(m.path) && process.getuid?.() === 0 && user.uid === BUILDER_UID) chownTree(m.path, BUILDER_UID, BUILDER_GID);
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  if (st.uid === uid && st.gid === gid) return;
  lchownSync(path, uid, gid);
  if (st.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

export interface ContainerRunResult {
  exitCode: number;
  command: string;
  name: string;
}

/**
 * Runs one command in a named container, streaming its lines. The container is removed when the
 * command ends, and by `<engine> rm -f` on failure, SIGINT or SIGTERM (a killed client would
 * otherwise leave it running).
 */
export async function runInContainer(
  setup: ContainerSetup,
  command: readonly string[],
  options: { network: RunSpec['network']; logFile: string; signal?: AbortSignal; onLine: (line: string) => void },
): Promise<ContainerRunResult> {
  const name = containerName(setup.plan.profile);
  const argv = runArgv(runSpec(setup, name, command, options.network));
  const forget = onCleanup(() => removeContainer(setup.engine, name));
  // a SIGKILLed vvehicle runs no cleanup and its container goes on: the next run on this work dir removes it
  const record = runningContainerFile(setup.workDir);
  writeFileAtomic(record, `${JSON.stringify({ engine: setup.engine, name })}\n`);
  let ok = false;
  try {
    const r = await runStreaming(setup.engine.program, argv, { logFile: options.logFile, signal: options.signal, onLine: options.onLine });
    ok = r.exitCode === 0;
    return { exitCode: r.exitCode, command: r.command, name };
  } finally {
    if (!ok) await removeContainer(setup.engine, name);
    rmSync(record, { force: true });
    forget();
  }
}

/**
 * The build environment as `oe-init-build-env` makes it, then the user's command (or an interactive shell).
 * A fixed script: poky's dir, TOPDIR and the command are positional parameters, never spliced into the text.
 * poky's script reads $1 (TOPDIR) and $2 (the bitbake dir!), and dash (Debian's sh) ignores arguments to `.`:
 * the sourced script would see the command's words. So it is sourced in a function called with TOPDIR only
 * (a function has its own positional parameters; what the script exports and its cd stay).
 */
export const BUILD_ENV_SCRIPT =
  'cd "$1" || exit 1; shift; oe_init() { . ./oe-init-build-env "$1" >/dev/null; }; oe_init "$1" || exit 1; shift; ' +
  'if [ $# -gt 0 ]; then exec "$@"; fi; ' +
  'if command -v bash >/dev/null; then exec bash -i; fi; exec sh -i';

export function buildEnvCommand(plan: BuildPlan, workDir: string, command: readonly string[]): string[] {
  const poky = plan.repos.find((r) => r.layers.includes('meta'));
  if (!poky) throw new UserError('no repository provides the layer "meta" (poky): there is no oe-init-build-env to source');
  return ['sh', '-c', BUILD_ENV_SCRIPT, 'vvehicle-shell', repoDir(workDir, poky), buildPaths(plan, workDir).topdir, ...command];
}

/** The `<engine> run` spec of `vvehicle shell` / `vvehicle bitbake`: the build env sourced, network on. */
export function attachedRunSpec(setup: ContainerSetup, name: string, command: readonly string[], tty: boolean): RunSpec {
  const spec = runSpec(setup, name, buildEnvCommand(setup.plan, setup.workDir, command), 'default');
  // like kas-container: a terminal in, a terminal out (-i -t) only when we have one; otherwise the container's stdin
  // is closed, so nothing in it waits for input that never comes (CI), and neither does a devshell (NO_TERMINAL_SCREENDIR)
  if (!tty) return spec;
  const { SCREENDIR: _noTerminal, ...env } = spec.env;
  return { ...spec, env, interactive: { tty: true } };
}

/**
 * Runs a command in the builder container attached to our terminal (the build env sourced, network on):
 * `vvehicle shell` and `vvehicle bitbake`. The container is removed when it ends, on failure and on SIGINT.
 */
export async function runAttachedInContainer(
  setup: ContainerSetup,
  command: readonly string[],
  options: { tty: boolean; logFile: string; signal?: AbortSignal },
): Promise<ContainerRunResult> {
  const name = containerName(setup.plan.profile);
  const spec = attachedRunSpec(setup, name, command, options.tty);
  const forget = onCleanup(() => removeContainer(setup.engine, name));
  let ended = false;
  try {
    const r = await runAttached(setup.engine.program, runArgv(spec), { logFile: options.logFile, signal: options.signal });
    ended = true; // --rm removed it
    return { exitCode: r.exitCode, command: r.command, name };
  } finally {
    if (!ended) await removeContainer(setup.engine, name);
    forget();
  }
}

function runningContainerFile(workDir: string): string {
  return join(workDir, '.state', 'container.json');
}

/**
 * Removes the container a killed run left running on this work dir (its bitbake would fight the next
 * one for TOPDIR). Call only while holding the work dir lock: then the run that recorded it is gone.
 */
export async function removeOrphanContainer(workDir: string): Promise<string | undefined> {
  const record = runningContainerFile(workDir);
  if (!existsSync(record)) return undefined;
  let orphan: { engine: Engine; name: string } | undefined;
  try {
    orphan = JSON.parse(readFileSync(record, 'utf8')) as { engine: Engine; name: string };
  } catch {
    orphan = undefined; // torn by the crash; the container (if any) is named in the last bitbake log
  }
  // records written before the engine carried its client program name only the engine
  if (orphan) await removeContainer({ ...orphan.engine, program: orphan.engine.program ?? orphan.engine.name }, orphan.name);
  rmSync(record, { force: true });
  return orphan ? `removed container ${orphan.name}, left running by an interrupted run` : undefined;
}
