import { existsSync, realpathSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { removeTree } from '../files/atomic.js';
import { deleteDirPool, destroyDomain, undefineDomain } from '../tools/virsh.js';
import { FLEET_FILE, fleetDirs, readFleet, type Fleet } from './fleet-file.js';
import { openPublishedImage } from './published-image.js';
import { entryFor, forgetState, readState, type StateEntry } from './state.js';
import { eachLimited } from './storage.js';

export interface DownResult {
  /** Per domain: what was done. */
  vehicles: { domain: string; host: string; domainWas: string; disk: 'removed' | 'absent' }[];
}

/**
 * Destroys, undefines and removes the disks of every vehicle the state file recorded (what an `up`,
 * even a failed or interrupted one, may have created) and of every vehicle in fleet.json. Idempotent:
 * a domain or disk that is already gone counts as done. It never touches the published base (only
 * files below <dir>/disks are removed, and the base is refused even there). Console logs are kept.
 */
export async function fleetDown(dir: string, options: { parallel: number; signal?: AbortSignal; logFile?: string; onProgress?: (text: string) => void }): Promise<DownResult> {
  const abs = resolve(dir);
  const state = readState(abs);
  const fleet: Fleet | undefined = existsSync(join(abs, FLEET_FILE)) ? readFleet(abs) : undefined;
  if (!state && !fleet) throw new UserError(`${abs} holds no fleet (no ${FLEET_FILE}, no state.json)`, 'pass the --dir of the fleet to take down');
  const targets = new Map<string, StateEntry>();
  for (const e of [...(state?.vehicles ?? []), ...(fleet?.vehicles.map((v) => entryFor(abs, fleet, v)) ?? [])]) targets.set(`${e.host}\0${e.domain}`, e);
  const base = fleet ? publishedBase(fleet) : undefined;
  const disksDir = fleetDirs(abs).disks;

  const vehicles: DownResult['vehicles'] = [];
  const list = [...targets.values()];
  await eachLimited(list, options.parallel, async (e, done) => {
    const destroyed = await destroyDomain(e.host, e.domain, { signal: options.signal, logFile: options.logFile });
    const undefined_ = await undefineDomain(e.host, e.domain, { signal: options.signal, logFile: options.logFile });
    // a remote vehicle's files are on its host, in its own storage pool: libvirt deletes them there
    const diskWas = e.remote
      ? (await deleteDirPool(e.host, e.remote.pool, { signal: options.signal, logFile: options.logFile })) === 'deleted' ? 'removed' : 'absent'
      : removeDisk(e.disk, disksDir, base);
    rmSync(e.xml, { force: true });
    removeTree(e.credentialsDir);
    vehicles.push({ domain: e.domain, host: e.host, domainWas: undefined_ === 'absent' ? 'absent' : destroyed === 'destroyed' ? 'running' : 'defined', disk: diskWas });
    options.onProgress?.(`${done()}/${list.length} down (${e.domain})`);
  });
  for (const sub of ['disks', 'domains', 'credentials'] as const) {
    const path = fleetDirs(abs)[sub];
    if (existsSync(path)) rmSync(path, { recursive: true, force: true });
  }
  forgetState(abs);
  return { vehicles: vehicles.sort((a, b) => a.domain.localeCompare(b.domain)) };
}

function publishedBase(fleet: Fleet): string | undefined {
  try {
    const image = openPublishedImage(fleet.image.manifest);
    return existsSync(image.disk) ? realpathSync(image.disk) : undefined;
  } catch {
    return undefined; // the image may be gone; down must still work
  }
}

function removeDisk(disk: string, disksDir: string, base: string | undefined): 'removed' | 'absent' {
  const rel = relative(disksDir, disk);
  if (rel.startsWith('..') || rel.includes('/')) throw new Error(`refusing to remove ${disk}: not a fleet disk in ${disksDir}`);
  if (!existsSync(disk)) return 'absent';
  if (base && realpathSync(disk) === base) throw new Error(`refusing to remove ${disk}: it is the published base`);
  rmSync(disk, { force: true });
  return 'removed';
}
