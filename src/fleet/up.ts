import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { requireSpace } from '../faults.js';
import { writeFileAtomic } from '../files/atomic.js';
import { checkConnection, createDirPool, createOverlayVolume, defineDomain, domainState, guestDomainTypes, listDomains, startDomain, uploadVolume } from '../tools/virsh.js';
import { credentialFile, credentialValues, manifestCredentials, renderDomainXml } from './domain-xml.js';
import { fleetDirs, readFleet, readSecrets, type Fleet, type FleetSecrets, type Vehicle } from './fleet-file.js';
import { checkDiskSha256, openPublishedImage, type PublishedImage } from './published-image.js';
import { entryFor, readState, recordIntent, type StateEntry } from './state.js';
import { pausePoint } from '../test-pause.js';
import { checkRemoteImage, isLocalUri, remotePaths } from './remote.js';
export { isLocalUri } from './remote.js';
import { freePorts } from '../host/free-ports.js';
import { PROBE_GUEST_PORTS } from './status.js';
import { eachLimited, makeDisks, spaceNeeded, type Storage } from './storage.js';

export interface UpReporter {
  step(title: string): void;
  progress(text: string): void;
}

/**
 * What this `up` has created so far, vehicle by vehicle, kept as it goes: when a fault stops it (a full
 * disk, libvirtd gone) the error lists exactly these, and `fleet down` removes them (state.json has them).
 */
export interface UpProgress {
  disks: string[];
  defined: string[];
  started: string[];
}

export const newUpProgress = (): UpProgress => ({ disks: [], defined: [], started: [] });

export interface UpOptions {
  dir: string;
  storage: Storage;
  /** How many domains are defined and started at once. */
  parallel: number;
  signal?: AbortSignal;
  logFile?: string;
  /** Filled in as vehicles' parts are created. */
  progress?: UpProgress;
}

/** Everything `up` needs, checked before anything is created. */
export interface UpPlan {
  dir: string;
  fleet: Fleet;
  secrets: FleetSecrets;
  image: PublishedImage;
  domainTypes: Map<string, 'kvm' | 'qemu'>;
  /** Vehicles to create (those whose domain this fleet already created are left as they are). */
  todo: Vehicle[];
  running: Vehicle[];
}

/**
 * The checks of `fleet up`: fleet file and secrets, a published image whose disk still hashes to
 * what the manifest (and the plan) say, every libvirt URI reachable and able to run aarch64 guests,
 * and no foreign domain by one of our names. Any failure is a UserError and nothing is created.
 */
export async function prepareUp(options: UpOptions, report: UpReporter): Promise<UpPlan> {
  const dir = resolve(options.dir);
  const fleet = readFleet(dir);
  const secrets = readSecrets(dir);
  const missing = fleet.vehicles.filter((v) => !secrets?.subscribers[v.supi]);
  if (missing.length) throw new UserError(`no K/OPc for ${missing.map((v) => v.supi).join(', ')} in ${join(dir, 'fleet.secrets.json')}`, 'run `vvehicle fleet plan` again (it keeps existing keys and adds missing ones)');
  const image = openPublishedImage(fleet.image.manifest);
  for (const path of [dir, image.disk, image.kernel, ...(image.initrd ? [image.initrd] : [])]) {
    if (/[<>&'"]/.test(path) || path.includes('\n')) throw new UserError(`${path}: a path with quotes, <, > or & cannot go into a libvirt domain`, 'move the fleet dir or the published image');
  }

  if (fleet.vehicles.some((v) => isLocalUri(v.host))) {
    for (const path of [dir, image.dir]) {
      const closed = unsearchableAncestor(path);
      if (closed) {
        throw new UserError(
          `${closed} is not searchable by others (mode ${(statSync(closed).mode & 0o777).toString(8)}): QEMU runs as libvirt's unprivileged user and cannot reach ${path}`,
          `chmod o+x ${closed}, or keep the fleet dir and the published image under a directory such as /var/lib/vvehicle`,
        );
      }
    }
  }

  const domainTypes = new Map<string, 'kvm' | 'qemu'>();
  const existing = new Map<string, string[]>();
  for (const uri of new Set(fleet.vehicles.map((v) => v.host))) {
    report.step(`connect to ${uri}`);
    await checkConnection(uri, { signal: options.signal });
    const types = await guestDomainTypes(uri, 'aarch64', { signal: options.signal });
    if (!types.length) throw new UserError(`${uri} cannot run aarch64 guests (no aarch64 in \`virsh capabilities\`)`, 'install qemu-system-arm (Debian) / qemu-system-aarch64 on that host');
    domainTypes.set(uri, types.includes('kvm') ? 'kvm' : 'qemu');
    existing.set(uri, await listDomains(uri, { signal: options.signal }));
  }
  const ours = new Set((readState(dir)?.vehicles ?? []).map((e) => `${e.host}\0${e.domain}`));
  const todo: Vehicle[] = [];
  const running: Vehicle[] = [];
  for (const v of fleet.vehicles) {
    if (!existing.get(v.host)!.includes(v.domain)) todo.push(v);
    else if (ours.has(`${v.host}\0${v.domain}`)) running.push(v);
    else throw new UserError(`a domain named ${v.domain} already exists on ${v.host} and was not made by this fleet`, `remove it (virsh -c ${v.host} undefine ${v.domain}) or plan the fleet under another --name`);
  }

  // every vehicle's credentials must be ones the image accepts, before anything is created
  for (const v of fleet.vehicles) manifestCredentials(image.manifest, credentialValues(fleet, v, secrets!));

  report.step(`check ${image.manifest.boot.disk} against its manifest`);
  await checkDiskSha256(image, fleet.image.diskSha256, options.signal, (done, total) => report.progress(`sha256 ${total ? Math.floor((done / total) * 100) : 100}%`));
  const remoteHosts = [...new Set(todo.filter((v) => !isLocalUri(v.host)).map((v) => v.host))];
  if (remoteHosts.length && options.storage === 'copy') throw new UserError(`--storage copy is for hosts on this machine; ${remoteHosts.join(', ')} get overlays made there by libvirt`, 'use --storage overlay (the default)');
  for (const uri of remoteHosts) {
    report.step(`check the published image on ${uri} against its manifest`);
    await checkRemoteImage(uri, image, options.signal);
  }
  return { dir, fleet, secrets: secrets!, image, domainTypes, todo, running };
}

/**
 * Creates and boots the vehicles of a checked plan. Each one is recorded in state.json before any of
 * its parts exist, so an `up` that fails or is interrupted leaves only what `fleet down` removes.
 */
export async function runUp(plan: UpPlan, options: UpOptions, report: UpReporter): Promise<{ started: string[]; alreadyUp: string[] }> {
  const { dir, fleet, secrets, image } = plan;
  const progress = options.progress ?? newUpProgress();
  const entries = plan.todo.map((v) => entryFor(dir, fleet, v));
  const local = entries.filter((e) => !e.remote);
  const diskArtifact = image.manifest.artifacts.find((a) => a.role === 'disk');
  if (local.length && diskArtifact?.role === 'disk') {
    // a disk too small for every vehicle is refused before the first file is written (fault matrix: disk full)
    const needed = await spaceNeeded(image.disk, diskArtifact.virtualSize, local.length, options.storage, { signal: options.signal });
    requireSpace(dir, needed, `${local.length} ${options.storage === 'overlay' ? 'overlay(s)' : 'full cop(ies)'} of ${image.manifest.boot.disk} and their domain files`);
  }
  // user-mode networking on this machine: each vehicle's probe ports get host ports free now, recorded
  // with the vehicle (state.json) for `fleet status`
  if (fleet.network.type === 'user') {
    const ports = await freePorts(local.length * PROBE_GUEST_PORTS.length);
    local.forEach((e, i) => (e.probePorts = Object.fromEntries(PROBE_GUEST_PORTS.map(([id], j) => [id, ports[i * PROBE_GUEST_PORTS.length + j]!]))));
  }
  recordIntent(dir, fleet, options.storage, entries);
  if (options.logFile) mkdirSync(dirname(options.logFile), { recursive: true });
  const d = fleetDirs(dir);
  for (const sub of Object.values(d)) mkdirSync(sub, { recursive: true });
  // QEMU runs as the hypervisor's user: it must traverse to its credential files (libvirt relabels
  // each file for the domain while it runs), but nobody may list or read them
  chmodSync(d.credentials, 0o711);

  await pausePoint('fleet-up:disks');
  report.step(`${options.storage === 'overlay' ? 'overlays on' : 'copies of'} ${image.manifest.boot.disk} for ${entries.length} vehicle(s)`);
  const byDisk = new Map(entries.map((e) => [e.disk, e.id]));
  await makeDisks(image.disk, local.map((e) => e.disk), options.storage, {
    signal: options.signal,
    logFile: options.logFile,
    onDisk: (done, total, disk) => {
      progress.disks.push(byDisk.get(disk)!);
      report.progress(`${done}/${total} disks`);
    },
  });

  // a remote host: its own storage pool per vehicle, the overlay made there by libvirt on the base at the same path
  const virtualSize = diskArtifact?.role === 'disk' ? diskArtifact.virtualSize : 0;
  await eachLimited(entries.filter((e) => e.remote), options.parallel, async (e, done) => {
    await createDirPool(e.host, e.remote!.pool, e.remote!.dir, { signal: options.signal, logFile: options.logFile });
    await createOverlayVolume(e.host, e.remote!.pool, 'disk.qcow2', virtualSize, image.disk, { signal: options.signal, logFile: options.logFile });
    progress.disks.push(e.id);
    report.progress(`${done()} disk(s) on remote hosts`);
  });

  report.step(`credentials and domain XML for ${entries.length} vehicle(s)`);
  const byId = new Map(plan.todo.map((v) => [v.id, v]));
  for (const e of entries) {
    const secretFiles = writeVehicleFiles(plan, byId.get(e.id)!, e, options.storage);
    // secret credentials travel to a remote host as volumes of its pool (0600 there, like here)
    if (e.remote) for (const f of secretFiles) await uploadVolume(e.host, e.remote.pool, basename(f.file), f.file, f.size, { signal: options.signal, logFile: options.logFile });
  }

  report.step(`define and start ${entries.length} domain(s)`);
  const started: string[] = [];
  await eachLimited(entries, options.parallel, async (e, done) => {
    options.signal?.throwIfAborted();
    rmSync(e.consoleLog, { force: true }); // a new boot, a new console
    await defineDomain(e.host, e.xml, { signal: options.signal, logFile: options.logFile });
    progress.defined.push(e.id);
    await startDomain(e.host, e.domain, { signal: options.signal, logFile: options.logFile });
    progress.started.push(e.id);
    started.push(e.domain);
    if (started.length === 1) await pausePoint('fleet-up:first-started');
    report.progress(`${done()}/${entries.length} started (${e.domain})`);
  });
  // a vehicle from an earlier `up` that was stopped is started again
  for (const v of plan.running) {
    if ((await domainState(v.host, v.domain, { signal: options.signal })) === 'shut off') await startDomain(v.host, v.domain, { signal: options.signal, logFile: options.logFile });
  }
  return { started: started.sort(), alreadyUp: plan.running.map((v) => v.domain) };
}

/** The first directory from / down to path that others cannot search (o+x), if any. */
export function unsearchableAncestor(path: string): string | undefined {
  const parts = resolve(path).split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const d = `/${parts.slice(0, i).join('/')}`;
    const st = statSync(d, { throwIfNoEntry: false });
    if (st?.isDirectory() && !(st.mode & 0o001)) return d;
  }
  return undefined;
}

/** Writes a vehicle's secret credential files (here) and its domain XML; returns the credential files written. */
function writeVehicleFiles(plan: UpPlan, vehicle: Vehicle, e: StateEntry, storage: Storage): { file: string; size: number }[] {
  const credentials = manifestCredentials(plan.image.manifest, credentialValues(plan.fleet, vehicle, plan.secrets));
  mkdirSync(e.credentialsDir, { recursive: true, mode: 0o711 });
  chmodSync(e.credentialsDir, 0o711);
  const written: { file: string; size: number }[] = [];
  for (const c of credentials.filter((c) => c.secret)) {
    const file = credentialFile(e, c.name);
    writeFileSync(file, c.value, { mode: 0o600 });
    chmodSync(file, 0o600);
    written.push({ file, size: Buffer.byteLength(c.value) });
  }
  const xml = renderDomainXml(
    {
      fleet: plan.fleet,
      vehicle,
      manifest: plan.image.manifest,
      kernel: plan.image.kernel,
      ...(plan.image.initrd ? { initrd: plan.image.initrd } : {}),
      ...(storage === 'overlay' ? { backingFile: plan.image.disk } : {}),
      paths: e.remote ? remotePaths(e.remote, e.xml) : e,
      domainType: plan.domainTypes.get(vehicle.host)!,
      forwards: PROBE_GUEST_PORTS.filter(([id]) => e.probePorts?.[id]).map(([id, guestPort]) => ({ hostPort: e.probePorts![id]!, guestPort })),
    },
    plan.secrets,
  );
  writeFileAtomic(e.xml, xml);
  return written;
}
