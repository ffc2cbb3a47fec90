import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DaemonUnreachable } from '../faults.js';
import { UserError } from '../errors.js';
import { sha256File } from '../image/sha256.js';
import { downloadVolume, viewDirectory } from '../tools/virsh.js';
import type { VehiclePaths } from './domain-xml.js';
import type { Fleet, Vehicle } from './fleet-file.js';
import type { PublishedImage } from './published-image.js';

/**
 * Vehicles on a host this machine cannot write to (a qemu+ssh:// or any other URI with a host part):
 * libvirt makes their files THERE, in one storage pool per vehicle (a directory it builds and deletes),
 * so neither a local qemu-img nor a shared file system is involved. The published image must be on that
 * host at the same absolute path as here; `up` checks its bytes there against the manifest first.
 */
export const DEFAULT_REMOTE_DIR = '/var/lib/libvirt/vvehicle';

export interface RemoteVehicle {
  /** The libvirt storage pool holding the vehicle's disk, secret credentials and console log. */
  pool: string;
  /** Its directory on the host. */
  dir: string;
}

/** qemu:///system has no host part: QEMU runs here, so our local paths are its paths. */
export function isLocalUri(uri: string): boolean {
  return /^[a-z0-9+]+:\/\/\/[^/]/.test(uri);
}

export function remoteVehicle(fleet: Fleet, vehicle: Vehicle): RemoteVehicle | undefined {
  if (isLocalUri(vehicle.host)) return undefined;
  const root = fleet.hosts.find((h) => h.uri === vehicle.host)?.dir ?? `${DEFAULT_REMOTE_DIR}/${fleet.name}`;
  return { pool: vehicle.domain, dir: `${root}/${vehicle.id}` };
}

/** The paths the domain XML names on that host. */
export function remotePaths(remote: RemoteVehicle, xml: string): VehiclePaths {
  return { disk: `${remote.dir}/disk.qcow2`, xml, consoleLog: `${remote.dir}/console.log`, credentialsDir: remote.dir };
}

export const REMOTE_CONSOLE = 'console.log';

/**
 * The published image as that host has it: its directory seen through a transient storage pool, and
 * each boot artifact's bytes (downloaded through libvirt) hashed against the manifest. Returns nothing;
 * a missing or different copy is a user error, found before anything is created there.
 */
export async function checkRemoteImage(uri: string, image: PublishedImage, signal?: AbortSignal): Promise<void> {
  const poolName = `vvehicle-base-${createHash('sha256').update(image.dir).digest('hex').slice(0, 12)}`;
  const hint = `copy the published version directory to that host at the same path (e.g. rsync -a ${image.dir}/ HOST:${image.dir}/); fleets boot it from there`;
  let pool: string;
  try {
    pool = await viewDirectory(uri, poolName, image.dir, { signal });
  } catch (error) {
    if (error instanceof DaemonUnreachable) throw error;
    throw new UserError(`the published image is not on ${uri} at ${image.dir}: ${(error as Error).message.split('\n')[0]}`, hint);
  }
  const temp = mkdtempSync(join(tmpdir(), 'vvehicle-remote-'));
  try {
    for (const path of [image.disk, image.kernel, ...(image.initrd ? [image.initrd] : [])]) {
      const name = basename(path);
      const artifact = image.manifest.artifacts.find((a) => a.path === name);
      const local = join(temp, name);
      if ((await downloadVolume(uri, pool, name, local, { signal, refresh: true })) === 'absent') throw new UserError(`${path} is missing on ${uri}`, hint);
      const sha = await sha256File(local, undefined, signal);
      if (artifact && sha !== artifact.sha256) throw new UserError(`${path} on ${uri} does not match the manifest (sha256 ${sha}, manifest ${artifact.sha256})`, hint);
      rmSync(local, { force: true });
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
