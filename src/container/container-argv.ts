import type { EngineName } from '../tools/engine.js';

/** The uid/gid bitbake runs as inside our builder image when the invoking user is root. */
export const BUILDER_UID = 1001;
export const BUILDER_GID = 1001;
export const CONTAINER_HOME = '/home/builder';

export interface Mount {
  /** Absolute; mounted at the same path inside (so paths in conf files hold on both sides). */
  path: string;
  readOnly: boolean;
}

export interface RunSpec {
  engine: EngineName;
  globalArgs: readonly string[];
  name: string;
  image: string;
  /** The invoking user on the host. */
  hostUid: number;
  hostGid: number;
  mounts: readonly Mount[];
  workdir: string;
  /** Variables set to a value inside the container. */
  env: Readonly<Record<string, string>>;
  /** Host variables passed through by name (build.env). */
  passEnv: readonly string[];
  /** host: a server on this machine's loopback must be reachable (a local hash server). */
  network: 'none' | 'default' | 'host';
  kvm: boolean;
  selinuxEnforcing: boolean;
  /** Keep stdin open, and allocate a terminal when ours is one (vvehicle shell). */
  interactive?: { tty: boolean };
  command: readonly string[];
}

/** Who runs the command inside: the invoking user, or the image's builder user when invoked as root. */
export function containerUser(spec: Pick<RunSpec, 'engine' | 'hostUid' | 'hostGid'>): { uid: number; gid: number; args: string[] } {
  if (spec.hostUid === 0) {
    // bitbake refuses to run as root: use the image's unprivileged user (the mounts are prepared for it)
    return { uid: BUILDER_UID, gid: BUILDER_GID, args: ['--user', `${BUILDER_UID}:${BUILDER_GID}`] };
  }
  if (spec.engine === 'podman') {
    // rootless podman: keep-id maps the user to the same uid inside, so files on the host stay theirs
    return { uid: spec.hostUid, gid: spec.hostGid, args: ['--userns=keep-id', '--user', `${spec.hostUid}:${spec.hostGid}`] };
  }
  return { uid: spec.hostUid, gid: spec.hostGid, args: ['--user', `${spec.hostUid}:${spec.hostGid}`] };
}

/**
 * The full argv of `<engine> run` for one bitbake command. Pure, so the docker variant is tested
 * where no docker engine runs. Never --privileged; /dev/kvm only when asked for.
 */
export function runArgv(spec: RunSpec): string[] {
  const user = containerUser(spec);
  const args = [...spec.globalArgs, 'run', '--rm', '--name', spec.name, ...user.args];
  if (spec.interactive) args.push('--interactive', ...(spec.interactive.tty ? ['--tty'] : []));
  if (spec.network !== 'default') args.push('--network', spec.network);
  if (spec.selinuxEnforcing) args.push('--security-opt', 'label=disable');
  if (spec.kvm) args.push('--device', '/dev/kvm');
  for (const m of spec.mounts) args.push('--volume', `${m.path}:${m.path}:${m.readOnly ? 'ro' : 'rw'}`);
  args.push('--workdir', spec.workdir);
  const env = { HOME: CONTAINER_HOME, ...spec.env };
  for (const [key, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) args.push('--env', `${key}=${value}`);
  // by name only: the value is taken from our environment by the engine and never lands in argv or logs
  for (const key of spec.passEnv) args.push('--env', key);
  args.push(spec.image, ...spec.command);
  return args;
}
