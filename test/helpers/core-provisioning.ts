import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { run } from '../../src/exec.js';
import { tempDir } from './tmp.js';
import type { UeYaml } from './vehicle-ue.js';
import { startWebconsoleStandin } from './webconsole-standin.js';

/**
 * The subscriber exports run as a core's operator would run them, against the stand-ins CI has (free5GC's
 * webconsole API, mongosh over a JSON file with MongoDB's unique imsi index), and what each core then
 * holds, per SUPI.
 */
const MONGOSH_STANDIN = join(resolve(dirname(fileURLToPath(import.meta.url))), 'mongosh-standin');

export async function provisionFree5gc(script: string): Promise<Map<string, Free5gcBody>> {
  const file = join(tempDir(), 'free5gc.sh');
  writeFileSync(file, script, { mode: 0o600 });
  const webconsole = await startWebconsoleStandin();
  try {
    await run('sh', [file], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WEBCONSOLE: webconsole.url } });
    return webconsole.subscribers as unknown as Map<string, Free5gcBody>;
  } finally {
    await webconsole.close();
  }
}

export function provisionOpen5gs(script: string): Map<string, Open5gsDocument> {
  const dir = tempDir();
  writeFileSync(join(dir, 'open5gs.sh'), script, { mode: 0o600 });
  const env = { ...process.env, PATH: `${MONGOSH_STANDIN}:${process.env.PATH ?? ''}`, MONGOSH_STANDIN_DB: join(dir, 'db.json') };
  const r = spawnSync('sh', [join(dir, 'open5gs.sh')], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`open5gs script exited ${r.status}: ${r.stderr}`);
  const db = JSON.parse(readFileSync(env.MONGOSH_STANDIN_DB, 'utf8')) as Record<string, { docs: Open5gsDocument[] }>;
  return new Map(db['open5gs.subscribers']!.docs.map((d) => [`imsi-${d.imsi}`, d]));
}

/** What these checks read of a webconsole SubsData body. */
export interface Free5gcBody {
  plmnID: string;
  ueId: string;
  AuthenticationSubscription: { permanentKey: { permanentKeyValue: string }; opc: { opcValue: string }; authenticationManagementField: string };
  AccessAndMobilitySubscriptionData: { nssai: { defaultSingleNssais: { sst: number; sd?: string }[] } };
  SessionManagementSubscriptionData: { singleNssai: { sst: number; sd?: string }; dnnConfigurations: Record<string, unknown> }[];
}

/** What these checks read of an Open5GS subscriber document (canonical Extended JSON, as the stand-in keeps it). */
export interface Open5gsDocument {
  imsi: string;
  security: { k: string; opc: string; amf: string };
  slice: { sst: { $numberInt: string }; sd?: string; session: { name: string }[] }[];
}

const hexSd = (sd: number | undefined) => (sd === undefined ? undefined : sd.toString(16).padStart(6, '0'));

/**
 * The core grants exactly what this UE asks: K, OPc, AMF, PLMN (and the SUPI in it), and every session's
 * DNN with its slice (SST, SD), in both cores.
 */
export function expectCoresGrantWhatUeAsks(ue: UeYaml, free5gc: Free5gcBody | undefined, open5gs: Open5gsDocument | undefined): void {
  expect(free5gc, `free5GC holds ${ue.supi}`).toBeDefined();
  expect(open5gs, `Open5GS holds ${ue.supi}`).toBeDefined();
  const auth = free5gc!.AuthenticationSubscription;
  expect(ue.opType).toBe('OPC');
  expect([auth.permanentKey.permanentKeyValue, open5gs!.security.k]).toEqual([ue.key, ue.key]);
  expect([auth.opc.opcValue, open5gs!.security.opc]).toEqual([ue.op, ue.op]);
  expect([auth.authenticationManagementField, open5gs!.security.amf]).toEqual([ue.amf, ue.amf]);
  expect(free5gc!.plmnID).toBe(`${ue.mcc}${ue.mnc}`);
  expect(free5gc!.ueId).toBe(ue.supi);
  expect(`imsi-${open5gs!.imsi}`).toBe(ue.supi);
  expect(ue.supi.startsWith(`imsi-${ue.mcc}${ue.mnc}`)).toBe(true);
  for (const session of ue.sessions) {
    const slice = { sst: session.slice.sst, sd: hexSd(session.slice.sd) };
    const f = free5gc!.SessionManagementSubscriptionData.find((d) => d.singleNssai.sst === slice.sst && d.singleNssai.sd === slice.sd);
    expect(f && Object.keys(f.dnnConfigurations), `free5GC: DNN ${session.apn} on ${JSON.stringify(slice)}`).toContain(session.apn);
    const o = open5gs!.slice.find((s) => Number(s.sst.$numberInt) === slice.sst && s.sd === slice.sd);
    expect(o?.session.map((s) => s.name), `Open5GS: DNN ${session.apn} on ${JSON.stringify(slice)}`).toContain(session.apn);
  }
  // the slices the UE asks to register on are the subscriber's default ones, in both cores
  const asked = ue['configured-nssai'].map((s) => ({ sst: s.sst, ...(s.sd === undefined ? {} : { sd: hexSd(s.sd) }) }));
  expect(free5gc!.AccessAndMobilitySubscriptionData.nssai.defaultSingleNssais).toEqual(asked);
  expect(open5gs!.slice.map((s) => ({ sst: Number(s.sst.$numberInt), ...(s.sd === undefined ? {} : { sd: s.sd }) }))).toEqual(asked);
}
