import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import semver from 'semver';
import { gitVersion } from '../tools/git.js';
import { engineOf, engineVersion, probeContainerRun, type EngineName } from '../tools/engine.js';
import { qemuImgVersion } from '../tools/qemu-img.js';
import { qemuVersion } from '../tools/qemu.js';
import { chooseAccel, readHostFacts } from '../host/accel.js';
import { checkQemuStart, type SmokeMachine } from './qemu-start.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** A directory the build fills, and how much it needs there. */
export interface DiskNeed {
  /** TMPDIR, DL_DIR, SSTATE_DIR … */
  role: string;
  path: string;
  needGiB: number;
}

export interface DoctorInput {
  /** Where the build writes; needs on one filesystem add up. */
  disks: DiskNeed[];
  engine: 'auto' | EngineName;
  engineArgs: string[];
  /** The client program for a named engine (build.engineClient / --engine-client). */
  engineClient?: string;
  builderImage?: string;
  /** What `vvehicle smoke` starts: doctor starts the same machine, paused. */
  smoke: SmokeMachine;
}

const APT = (pkgs: string) => `sudo apt-get install ${pkgs}`;

export async function runChecks(input: DoctorInput): Promise<CheckResult[]> {
  return [
    checkNode(),
    await checkGit(),
    await checkEngine(input),
    await checkTool('qemu-img', qemuImgVersion, APT('qemu-utils')),
    await checkTool('qemu-system-aarch64', qemuVersion, APT('qemu-system-arm')),
    await checkQemuStart(input.smoke),
    checkAccel(),
    ...checkDisks(input.disks),
    checkAppArmor(),
  ];
}

export function checkNode(): CheckResult {
  const ok = semver.satisfies(process.versions.node, '>=20.19');
  return ok
    ? { name: 'node', status: 'ok', detail: process.versions.node }
    : { name: 'node', status: 'fail', detail: `${process.versions.node} is older than 20.19`, fix: 'install Node.js 20.19 or newer (e.g. from NodeSource or nvm)' };
}

async function checkGit(): Promise<CheckResult> {
  try {
    return { name: 'git', status: 'ok', detail: await gitVersion() };
  } catch {
    return { name: 'git', status: 'fail', detail: 'not found', fix: APT('git') };
  }
}

export async function checkTool(name: string, version: () => Promise<string | undefined>, fix: string): Promise<CheckResult> {
  const v = await version();
  return v ? { name, status: 'ok', detail: v } : { name, status: 'fail', detail: 'not found', fix };
}

async function checkEngine(input: DoctorInput): Promise<CheckResult> {
  const candidates: EngineName[] = input.engine === 'auto' ? ['podman', 'docker'] : [input.engine];
  const problems: string[] = [];
  for (const name of candidates) {
    const engine = engineOf(name, input.engineArgs, input.engine === 'auto' ? undefined : input.engineClient);
    const version = await engineVersion(engine.program);
    if (!version) {
      problems.push(`${engine.program}: not found`);
      continue;
    }
    const probe = await probeContainerRun(engine, input.builderImage);
    if (probe.ok) return { name: 'container engine', status: 'ok', detail: `${version}; ${probe.detail}` };
    problems.push(`${name}: cannot run a container (${probe.detail})`);
  }
  return {
    name: 'container engine',
    status: 'fail',
    detail: problems.join('; '),
    fix: [
      candidates.includes('docker') && problems.some((p) => p.startsWith('docker') || p.includes('/docker:'))
        ? `start the Docker daemon (sudo systemctl start docker), or point --engine-arg=--host at its socket; or use podman: ${APT('podman runc')}`
        : `${APT('podman runc')} or start the Docker daemon`,
      problems.some((p) => p.includes('crun')) ? 'crun fails on hybrid cgroups: add --engine-arg=--runtime --engine-arg=runc' : '',
      problems.some((p) => p.includes('rlimit')) ? 'no CAP_SYS_RESOURCE: point CONTAINERS_CONF at a containers.conf with [containers] default_ulimits = []' : '',
    ].filter(Boolean).join('; '),
  };
}

function checkAccel(): CheckResult {
  const choice = chooseAccel('auto', readHostFacts());
  return choice.accel === 'kvm'
    ? { name: 'kvm', status: 'ok', detail: `smoke boots use KVM (${choice.reason})` }
    : {
        name: 'kvm',
        status: 'warn',
        detail: `smoke boots use TCG emulation, slower: ${choice.reason}`,
        fix: 'on an arm64 host: sudo usermod -aG kvm $USER (then log in again) so /dev/kvm is read/write',
      };
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** One result per filesystem: the free space where each directory really is, against the sum of their needs. */
export function checkDisks(disks: DiskNeed[]): CheckResult[] {
  const byDevice = new Map<number, { where: string; needs: DiskNeed[] }>();
  for (const d of disks) {
    const where = nearestExisting(d.path);
    const dev = statSync(where).dev;
    const entry = byDevice.get(dev) ?? { where, needs: [] };
    entry.needs.push(d);
    byDevice.set(dev, entry);
  }
  return [...byDevice.values()].map(({ where, needs }) => {
    const stats = statfsSync(where);
    const freeGiB = (stats.bavail * stats.bsize) / 2 ** 30;
    const needGiB = needs.reduce((sum, n) => sum + n.needGiB, 0);
    const roles = needs.map((n) => `${n.role} ${n.path} (~${n.needGiB} GiB)`).join(', ');
    const detail = `${freeGiB.toFixed(0)} GiB free at ${where} for ${roles}`;
    return freeGiB >= needGiB
      ? { name: 'disk', status: 'ok', detail }
      : { name: 'disk', status: 'fail', detail: `${detail}: needs ${needGiB} GiB`, fix: 'free space, or move the directory: -w DIR (VVEHICLE_WORK_DIR), DL_DIR, SSTATE_DIR' };
  });
}

function checkAppArmor(): CheckResult {
  const file = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';
  const restricted = existsSync(file) && readFileSync(file, 'utf8').trim() === '1';
  if (!restricted) return { name: 'apparmor userns', status: 'ok', detail: 'unprivileged user namespaces allowed' };
  const root = process.getuid?.() === 0;
  return {
    name: 'apparmor userns',
    status: root ? 'ok' : 'warn',
    detail: `Ubuntu restricts unprivileged user namespaces${root ? ' (not relevant when running as root)' : ': rootless podman and bitbake pseudo may fail'}`,
    fix: 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or add an AppArmor profile for podman)',
  };
}

