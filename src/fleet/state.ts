import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { fleetDirs, STATE_FILE, type Fleet, type Vehicle } from './fleet-file.js';
import type { VehiclePaths } from './domain-xml.js';
import { remoteVehicle } from './remote.js';

/**
 * state.json: every domain and file `fleet up` may create, recorded BEFORE it creates any of them.
 * An `up` that fails or is interrupted half-way therefore leaves nothing `fleet down` does not know
 * about, even after a re-plan changed fleet.json. `fleet down` removes what it lists, then the file.
 */
const entrySchema = z.strictObject({
  id: z.string(),
  domain: z.string(),
  host: z.string(),
  disk: z.string(),
  xml: z.string(),
  credentialsDir: z.string(),
  consoleLog: z.string(),
  /** Host loopback ports forwarded to the guest's probe ports, by probe id (user-mode networking on this machine). */
  probePorts: z.record(z.string(), z.number().int().min(1).max(65535)).optional(),
  /** A vehicle on a remote host: the storage pool and directory there holding its files (the local paths above are staging and copies). */
  remote: z.strictObject({ pool: z.string(), dir: z.string() }).optional(),
});
export type StateEntry = z.infer<typeof entrySchema>;

const stateSchema = z.strictObject({
  stateVersion: z.literal(1),
  fleet: z.string(),
  storage: z.enum(['overlay', 'copy']),
  vehicles: z.array(entrySchema),
});
export type FleetState = z.infer<typeof stateSchema>;

export function vehiclePaths(dir: string, vehicle: Pick<Vehicle, 'id'>): VehiclePaths {
  const d = fleetDirs(resolve(dir));
  return {
    disk: join(d.disks, `${vehicle.id}.qcow2`),
    xml: join(d.domains, `${vehicle.id}.xml`),
    consoleLog: join(d.consoles, `${vehicle.id}.log`),
    credentialsDir: join(d.credentials, vehicle.id),
  };
}

export function entryFor(dir: string, fleet: Fleet, vehicle: Vehicle): StateEntry {
  const remote = remoteVehicle(fleet, vehicle);
  return { id: vehicle.id, domain: vehicle.domain, host: vehicle.host, ...vehiclePaths(dir, vehicle), ...(remote ? { remote } : {}) };
}

export function readState(dir: string): FleetState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new UserError(`${file} is not a fleet state file: ${parsed.error.issues[0]?.message}`, 'it is written by `vvehicle fleet up`; do not edit it');
  return parsed.data;
}

/** Adds entries (by domain, so a second `up` keeps what the first recorded) and writes the file atomically. */
export function recordIntent(dir: string, fleet: Fleet, storage: FleetState['storage'], entries: StateEntry[]): FleetState {
  const previous = readState(dir);
  const byKey = new Map<string, StateEntry>();
  for (const e of [...(previous?.vehicles ?? []), ...entries]) byKey.set(`${e.host}\0${e.domain}`, e);
  const state: FleetState = { stateVersion: 1, fleet: fleet.name, storage, vehicles: [...byKey.values()] };
  writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

export function forgetState(dir: string): void {
  rmSync(join(dir, STATE_FILE), { force: true });
}
