import { run, tailLines, type RunResult } from '../exec.js';
import { ToolError, UserError } from '../errors.js';
import { DaemonUnreachable } from '../faults.js';

/**
 * The virsh wrapper: every libvirt call `vvehicle fleet` makes, as argv arrays through src/exec.ts.
 * libvirt is the engine (any URI: qemu:///system, qemu+ssh://host/system …); we never start QEMU
 * ourselves for a fleet. Calls that must be idempotent (destroy, undefine) treat "no such domain"
 * and "not running" as done.
 */
export const VIRSH = 'virsh';

export interface VirshOptions {
  signal?: AbortSignal;
  logFile?: string;
}

/**
 * How long one libvirt call may take (seconds, VVEHICLE_LIBVIRT_TIMEOUT, default 120): a libvirtd that
 * hangs, or an ssh link that stalls, ends in a message naming it instead of a run that never returns.
 */
export function libvirtTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.VVEHICLE_LIBVIRT_TIMEOUT ?? 120);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 120_000;
}

// virsh's words for "the daemon is not there (any more)": a refused or missing socket, a connection
// that died under a call, an ssh transport that failed
const UNREACHABLE = [
  /Failed to connect socket to '[^']*': .*/,
  /End of file while reading data: .*/,
  /Cannot recv data: .*/,
  /Cannot write data: .*/,
  /client socket is closed/,
  /Failed to reconnect to the hypervisor/,
  /no valid connection/,
];

export const LIBVIRTD_HINT = 'start libvirtd there (`systemctl start libvirtd`, or `virtlogd -d && libvirtd -d` where there is no systemd; for a qemu+ssh:// URI also check ssh to that host), then rerun';

/** A virsh failure that says libvirtd cannot be reached, as one message naming it and the fix. */
export function libvirtdFault(uri: string, result: Pick<RunResult, 'stderr' | 'stdout' | 'timedOut' | 'command'>): DaemonUnreachable | undefined {
  if (result.timedOut) return new DaemonUnreachable(`libvirtd at ${uri}`, `\`${result.command}\` did not answer within ${libvirtTimeoutMs() / 1000} s`, LIBVIRTD_HINT);
  const text = `${result.stderr}\n${result.stdout}`;
  for (const pattern of UNREACHABLE) {
    const m = pattern.exec(text);
    if (m) return new DaemonUnreachable(`libvirtd at ${uri}`, m[0].trim(), LIBVIRTD_HINT);
  }
  return undefined;
}

async function virsh(uri: string, args: readonly string[], options: VirshOptions & { allowFailure?: boolean } = {}): Promise<RunResult> {
  // -q: no "Domain 'x' started" chatter on stdout, so what we parse is the answer alone
  const r = await run(VIRSH, ['-q', '-c', uri, ...args], { signal: options.signal, logFile: options.logFile, allowFailure: true, timeoutMs: libvirtTimeoutMs() });
  if (!r.failed) return r;
  const unreachable = libvirtdFault(uri, r);
  if (unreachable) throw unreachable;
  if (options.allowFailure) return r;
  throw new ToolError(r.command, r.exitCode, tailLines(r.stderr || r.stdout));
}

/**
 * Connects once (`virsh uri`): an unknown URI, a daemon that is not running or a host that cannot
 * be reached is a user error (exit 2), found before anything is created.
 */
export async function checkConnection(uri: string, options: VirshOptions = {}): Promise<string> {
  const r = await virsh(uri, ['uri'], { ...options, allowFailure: true }).catch((error: unknown) => {
    if (error instanceof ToolError && error.exitCode === 127) throw new UserError(`${VIRSH} is not installed`, 'install libvirt-clients (Debian/Ubuntu) or libvirt-client (Fedora)');
    throw error;
  });
  if (r.failed) {
    const reason = (r.stderr || r.stdout).split('\n').filter((l) => l.trim()).slice(-2).join(' ');
    throw new UserError(`cannot connect to libvirt at ${uri}: ${reason}`, 'check the URI (e.g. qemu:///system, qemu+ssh://host/system) and that libvirtd runs there');
  }
  return r.stdout.trim();
}

/** Every domain name on the connection, running or not. */
export async function listDomains(uri: string, options: VirshOptions = {}): Promise<string[]> {
  const r = await virsh(uri, ['list', '--all', '--name'], options);
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export async function defineDomain(uri: string, xmlFile: string, options: VirshOptions = {}): Promise<void> {
  await virsh(uri, ['define', '--validate', xmlFile], options);
}

export async function startDomain(uri: string, name: string, options: VirshOptions = {}): Promise<void> {
  await virsh(uri, ['start', name], options);
}

const NO_DOMAIN = /failed to get domain|Domain not found|no domain with matching name/i;
const NOT_RUNNING = /domain is not running|Requested operation is not valid: domain is not running/i;

/** Stops a domain at once (power cut: the overlay is thrown away anyway). Missing or stopped: done. */
export async function destroyDomain(uri: string, name: string, options: VirshOptions = {}): Promise<'destroyed' | 'absent' | 'not-running'> {
  const r = await virsh(uri, ['destroy', name], { ...options, allowFailure: true });
  if (!r.failed) return 'destroyed';
  if (NO_DOMAIN.test(r.stderr)) return 'absent';
  if (NOT_RUNNING.test(r.stderr)) return 'not-running';
  throw new ToolError(r.command, r.exitCode, r.stderr);
}

/** Removes a domain's definition (never its storage: the overlays are ours to remove). Missing: done. */
export async function undefineDomain(uri: string, name: string, options: VirshOptions = {}): Promise<'undefined' | 'absent'> {
  const r = await virsh(uri, ['undefine', name], { ...options, allowFailure: true });
  if (!r.failed) return 'undefined';
  if (NO_DOMAIN.test(r.stderr)) return 'absent';
  throw new ToolError(r.command, r.exitCode, r.stderr);
}

/** `virsh domstate`: running, shut off, paused, crashed …; undefined when there is no such domain. */
export async function domainState(uri: string, name: string, options: VirshOptions = {}): Promise<string | undefined> {
  const r = await virsh(uri, ['domstate', name], { ...options, allowFailure: true });
  if (!r.failed) return r.stdout.trim();
  if (NO_DOMAIN.test(r.stderr)) return undefined;
  throw new ToolError(r.command, r.exitCode, r.stderr);
}

/** The domain types (kvm, qemu) the host offers for guests of `arch`, from `virsh capabilities`. */
export async function guestDomainTypes(uri: string, arch: string, options: VirshOptions = {}): Promise<string[]> {
  const r = await virsh(uri, ['capabilities'], options);
  return domainTypesIn(r.stdout, arch);
}

/** Pure part of guestDomainTypes, for tests on recorded capabilities XML. */
export function domainTypesIn(capabilitiesXml: string, arch: string): string[] {
  const types = new Set<string>();
  for (const guest of capabilitiesXml.split('<guest>').slice(1)) {
    const block = guest.split('</guest>')[0]!;
    if (!new RegExp(`<arch name=['"]${arch}['"]`).test(block)) continue;
    for (const m of block.matchAll(/<domain type=['"]([a-z]+)['"]/g)) types.add(m[1]!);
  }
  return [...types];
}

/** Host CPU count from `virsh nodeinfo` ("CPU(s):          8"). */
export async function hostCpuCount(uri: string, options: VirshOptions = {}): Promise<number> {
  const r = await virsh(uri, ['nodeinfo'], options);
  const cpus = Number(/^CPU\(s\):\s+(\d+)/m.exec(r.stdout)?.[1]);
  if (!cpus) throw new ToolError(r.command, 1, r.stdout, `virsh nodeinfo printed no CPU count for ${uri}`);
  return cpus;
}

/** `virsh --version` (local, no connection), or undefined when virsh is not installed. */
export async function virshVersion(options: VirshOptions = {}): Promise<string | undefined> {
  const r = await run(VIRSH, ['--version'], { signal: options.signal, allowFailure: true, timeoutMs: 30_000 });
  return r.failed ? undefined : r.stdout.trim();
}

/**
 * `virsh version` on the connection: the library and the hypervisor it runs ("libvirt 9.0.0, QEMU 7.2.0").
 * A daemon that is not there throws DaemonUnreachable; another failure (an unknown URI) a ToolError.
 */
export async function libvirtVersion(uri: string, options: VirshOptions = {}): Promise<string> {
  // a host without the emulator of its own arch cannot name "the" hypervisor version (virsh exits 1 after
  // printing the library's): the connection answered all the same
  const r = await virsh(uri, ['version'], { ...options, allowFailure: true });
  const library = /Using library: (\S+ \S+)/.exec(r.stdout)?.[1];
  if (!library) throw new ToolError(r.command, r.exitCode || 1, tailLines(r.stderr || r.stdout));
  const hypervisor = /Running hypervisor: (\S+ \S+)/.exec(r.stdout)?.[1];
  return hypervisor ? `${library}, ${hypervisor}` : library;
}

/**
 * What `virsh domcapabilities` says about guests of `arch` with domain type `virttype` (kvm, qemu) on
 * machine `machine`: the emulator and the machine type it resolves to, or why not (libvirt's own line).
 */
export async function domainCapabilities(
  uri: string,
  arch: string,
  virttype: 'kvm' | 'qemu',
  machine: string,
  options: VirshOptions = {},
): Promise<{ ok: true; emulator: string; machine: string } | { ok: false; reason: string }> {
  const r = await virsh(uri, ['domcapabilities', '--arch', arch, '--virttype', virttype, '--machine', machine], { ...options, allowFailure: true });
  if (r.failed) return { ok: false, reason: (r.stderr || r.stdout).split('\n').map((l) => l.replace(/^error: /, '').trim()).filter(Boolean).at(-1) ?? `virsh exited ${r.exitCode}` };
  const emulator = /<path>([^<]+)<\/path>/.exec(r.stdout)?.[1];
  const resolved = /<machine>([^<]+)<\/machine>/.exec(r.stdout)?.[1];
  const type = /<domain>([^<]+)<\/domain>/.exec(r.stdout)?.[1];
  if (!emulator || type !== virttype) return { ok: false, reason: `domcapabilities names no ${virttype} emulator for ${arch}` };
  return { ok: true, emulator, machine: resolved ?? machine };
}

// --- storage pools and volumes: how `fleet up` makes a vehicle's files on a host it cannot write to itself
// (a qemu+ssh:// URI): libvirt creates them there, so no local qemu-img or shared file system is needed

const NO_POOL = /Storage pool not found|no storage pool with matching name/i;
const NO_VOL = /Storage volume not found|no storage vol with matching/i;
const POOL_CONFLICT = /Storage source conflict with pool: '([^']+)'/;

/** A persistent dir pool at `target` on the host, built (mkdir) and started. */
export async function createDirPool(uri: string, name: string, target: string, options: VirshOptions = {}): Promise<void> {
  await virsh(uri, ['pool-define-as', name, 'dir', '--target', target], options);
  await virsh(uri, ['pool-build', name], options);
  await virsh(uri, ['pool-start', name], options);
}

/**
 * A transient dir pool over an existing directory (not built: it must be there), so libvirt can name
 * the files in it as volumes. When a pool already covers that directory, that pool is used.
 */
export async function viewDirectory(uri: string, name: string, target: string, options: VirshOptions = {}): Promise<string> {
  const r = await virsh(uri, ['pool-create-as', name, 'dir', '--target', target], { ...options, allowFailure: true });
  if (!r.failed) return name;
  const other = POOL_CONFLICT.exec(r.stderr)?.[1];
  if (other) return other;
  if (/already exists/i.test(r.stderr)) return name;
  throw new ToolError(r.command, r.exitCode, tailLines(r.stderr || r.stdout));
}

/** Removes a pool made by createDirPool: its volumes, its directory, its definition. Missing: done. */
export async function deleteDirPool(uri: string, name: string, options: VirshOptions = {}): Promise<'deleted' | 'absent'> {
  const info = await virsh(uri, ['pool-info', name], { ...options, allowFailure: true });
  if (info.failed) {
    if (NO_POOL.test(info.stderr)) return 'absent';
    throw new ToolError(info.command, info.exitCode, tailLines(info.stderr));
  }
  // defined but inactive (e.g. after the host restarted): started so its volumes and directory can go
  if (/^State:\s+inactive/m.test(info.stdout)) {
    const started = await virsh(uri, ['pool-start', name], { ...options, allowFailure: true });
    if (started.failed) {
      // never built (an `up` stopped between define and build): only the definition is there
      await virsh(uri, ['pool-undefine', name], options);
      return 'deleted';
    }
  }
  await virsh(uri, ['pool-refresh', name], options);
  // `vol-list` (libvirt 9.0 has no --name): "<name>  <path>" per volume; our volume names have no spaces
  const listed = await virsh(uri, ['vol-list', name], options);
  for (const vol of listed.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((v): v is string => !!v)) {
    const r = await virsh(uri, ['vol-delete', vol, '--pool', name], { ...options, allowFailure: true });
    if (r.failed && !NO_VOL.test(r.stderr)) throw new ToolError(r.command, r.exitCode, tailLines(r.stderr));
  }
  await virsh(uri, ['pool-destroy', name], options);
  await virsh(uri, ['pool-delete', name], options);
  await virsh(uri, ['pool-undefine', name], options);
  return 'deleted';
}

/** A qcow2 overlay volume on `backing` (an absolute path libvirt knows as a volume), `-F qcow2`. */
export async function createOverlayVolume(uri: string, pool: string, name: string, virtualSize: number, backing: string, options: VirshOptions = {}): Promise<void> {
  await virsh(uri, ['vol-create-as', pool, name, String(virtualSize), '--format', 'qcow2', '--backing-vol', backing, '--backing-vol-format', 'qcow2'], options);
}

/** A raw volume holding exactly the bytes of a local file. */
export async function uploadVolume(uri: string, pool: string, name: string, file: string, size: number, options: VirshOptions = {}): Promise<void> {
  await virsh(uri, ['vol-create-as', pool, name, String(Math.max(size, 1)), '--format', 'raw'], options);
  await virsh(uri, ['vol-upload', '--pool', pool, name, file], options);
}

/** Copies a volume's bytes to a local file (after a refresh, so files libvirt did not make are volumes too). */
export async function downloadVolume(uri: string, pool: string, name: string, file: string, options: VirshOptions & { refresh?: boolean } = {}): Promise<'downloaded' | 'absent'> {
  if (options.refresh) await virsh(uri, ['pool-refresh', pool], options);
  const r = await virsh(uri, ['vol-download', '--pool', pool, name, file], { ...options, allowFailure: true });
  if (!r.failed) return 'downloaded';
  if (NO_VOL.test(r.stderr) || NO_POOL.test(r.stderr)) return 'absent';
  throw new ToolError(r.command, r.exitCode, tailLines(r.stderr || r.stdout));
}
