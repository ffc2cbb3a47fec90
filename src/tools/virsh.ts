import { run, type RunResult } from '../exec.js';
import { ToolError, UserError } from '../errors.js';

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

function virsh(uri: string, args: readonly string[], options: VirshOptions & { allowFailure?: boolean } = {}): Promise<RunResult> {
  // -q: no "Domain 'x' started" chatter on stdout, so what we parse is the answer alone
  return run(VIRSH, ['-q', '-c', uri, ...args], { signal: options.signal, logFile: options.logFile, allowFailure: options.allowFailure });
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
