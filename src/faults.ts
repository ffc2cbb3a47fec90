import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ToolError, UserError } from './errors.js';

/**
 * Faults of the machine, not of the input: a full disk, a quota, a read-only mount, a container
 * daemon that does not answer. They reach the user as one typed message (exit 2) naming where and
 * what to do; `machineFault` is the one place an errno or a tool's stderr is turned into one.
 */

const DISK_CODES = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system' } as const;
type DiskCode = keyof typeof DISK_CODES;

/** Bytes needed: exact, or a bound when only the most it can take is known (a gzip layer before it is written). */
export type NeededSpace = number | { atMost: number };

/** The disk could not take what we write: where, how much it has, and (when known) how much is needed. */
export class DiskSpaceError extends UserError {
  readonly code: DiskCode;
  readonly path: string;
  readonly freeBytes: number | undefined;
  readonly neededBytes: number | undefined;
  /** `what` (e.g. "the converted image") marks a refusal made before writing anything; `hint` replaces the generic one. */
  constructor(code: DiskCode, path: string, needed?: NeededSpace, what?: string, hint?: string) {
    const free = freeBytesAt(path);
    const neededBytes = typeof needed === 'object' ? needed.atMost : needed;
    const exact = typeof needed === 'number';
    const short = free !== undefined && exact && needed > free ? `${formatBytes(needed - free)} short` : '';
    const neededText = neededBytes === undefined ? '' : `${exact ? '' : 'up to '}${formatBytes(neededBytes)} needed`;
    const amounts = [free !== undefined ? `${formatBytes(free)} free there` : '', neededText, short].filter(Boolean).join(', ');
    const message =
      code === 'EROFS'
        ? `cannot write ${path}: ${DISK_CODES[code]}`
        : what
          ? `not enough free space for ${what} in ${path} (${amounts}); nothing was written`
          : `${DISK_CODES[code]} writing ${path}${amounts ? ` (${amounts})` : ''}; nothing was half-written`;
    super(
      message,
      hint ??
        (code === 'EROFS'
          ? 'remount it read-write, or choose a writable directory (-w DIR, --out, --to)'
          : 'free space on that file system, or choose a larger one (-w DIR, --out, --to), then rerun'),
    );
    this.name = 'DiskSpaceError';
    this.code = code;
    this.path = path;
    this.freeBytes = free;
    this.neededBytes = neededBytes;
  }
}

/** The container engine's daemon (dockerd, or podman's API service in remote mode) does not answer. */
export class DaemonUnreachable extends UserError {
  constructor(daemon: string, detail: string, hint: string) {
    super(`${daemon} is not reachable: ${detail}`, hint);
    this.name = 'DaemonUnreachable';
  }
}

/** Free bytes for an unprivileged writer on the file system holding `path` (or its nearest existing parent). */
export function freeBytesAt(path: string): number | undefined {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    const s = statfsSync(p);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Refuses before any work when the file system holding `dir` has less than `neededBytes` free. */
export function requireSpace(dir: string, neededBytes: number, what: string): void {
  const free = freeBytesAt(dir);
  if (free !== undefined && free < neededBytes) throw new DiskSpaceError('ENOSPC', dir, neededBytes, what);
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const TOOL_DISK_TEXT: [RegExp, DiskCode][] = [
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Read-only file system/i, 'EROFS'],
];

const DAEMON_TEXT: [RegExp, string, string][] = [
  [/Cannot connect to the Docker daemon at (\S+?)\.? /i, 'the Docker daemon', 'start it (`sudo systemctl start docker`), or point DOCKER_HOST at a running one, or use --engine podman'],
  [/unable to connect to Podman socket|Cannot connect to Podman/i, 'the Podman API service', 'start it (`systemctl --user start podman.socket`, or `podman system service`), or unset CONTAINER_HOST / CONTAINER_CONNECTION to run podman locally'],
];

/**
 * The user-facing error for a fault of the machine hidden in `error` (a Node errno error or a tool's
 * stderr), or undefined when it is none. Used once, where cli.ts reports errors.
 */
export function machineFault(error: unknown): UserError | undefined {
  if (error instanceof UserError) return undefined;
  const code = diskFaultCode(error);
  if (code) {
    const errno = error as NodeJS.ErrnoException & { dest?: string };
    return new DiskSpaceError(code, errno.dest ?? errno.path ?? '(unknown path)');
  }
  if (error instanceof ToolError) {
    const text = `${error.message}\n${error.tail}`;
    for (const [pattern, code] of TOOL_DISK_TEXT) if (pattern.test(text)) return new DiskSpaceError(code, error.writes ?? `the output of ${error.command}`);
    return daemonFault(text);
  }
  return undefined;
}

/** ENOSPC, EDQUOT or EROFS when `error` is Node's error for a full, over-quota or read-only file system. */
export function diskFaultCode(error: unknown): DiskCode | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in DISK_CODES ? (code as DiskCode) : undefined;
}

/** A container engine's words for "my daemon does not answer", as one message naming the daemon and the fix. */
export function daemonFault(text: string, engine?: 'docker' | 'podman'): DaemonUnreachable | undefined {
  for (const [pattern, daemon, hint] of DAEMON_TEXT) {
    if (pattern.test(text)) return new DaemonUnreachable(daemon, text.split('\n').find((l) => pattern.test(l))!.trim(), hint);
  }
  if (engine && /did not answer within/.test(text)) {
    return engine === 'docker'
      ? new DaemonUnreachable('the Docker daemon', text, DAEMON_TEXT[0]![2])
      : new DaemonUnreachable('podman', text, 'if CONTAINER_HOST is set, restart the Podman API service it points at; otherwise look for a stuck podman process holding its storage lock');
  }
  return undefined;
}
