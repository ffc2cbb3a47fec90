import { existsSync, readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError } from '../errors.js';
import { distinctSlices, sameSlice, type SessionType } from '../identity/ue-profile.js';
import { renderTemplate } from '../templates.js';
import type { Fleet, FleetSecrets } from './fleet-file.js';

/**
 * What the 5G core must be provisioned with for a fleet, in the form each core's own tooling takes as it
 * is, and the gNB (UERANSIM nr-gnb) the vehicles search. Every format is made from one context: the
 * fleet's `subscribers` (what each UE asks for: PLMN, AMF field, sessions) and the keys. Every format but
 * the gNB config holds keys.
 */
export const SUBSCRIBER_FORMATS = ['free5gc', 'open5gs', 'csv', 'ueransim-gnb'] as const;
export type SubscriberFormat = (typeof SUBSCRIBER_FORMATS)[number];

const TEMPLATES: Record<SubscriberFormat, string> = {
  free5gc: 'fleet/subscribers/free5gc.sh.hbs',
  open5gs: 'fleet/subscribers/open5gs.sh.hbs',
  csv: 'fleet/subscribers/subscribers.csv.hbs',
  'ueransim-gnb': 'fleet/subscribers/ueransim-gnb.yaml.hbs',
};
/** One webconsole SubsData body per subscriber, embedded in the free5GC script. */
const FREE5GC_BODY = 'fleet/subscribers/free5gc-subscriber.json.hbs';

export function formatHoldsSecrets(format: SubscriberFormat): boolean {
  return format !== 'ueransim-gnb';
}

/** The gNB side of `--format ueransim-gnb` (defaults in gnbSettings). */
export interface GnbOptions {
  linkIp?: string | undefined;
  ngapIp?: string | undefined;
  gtpIp?: string | undefined;
  amf?: string[] | undefined;
  tac?: string | undefined;
  nci?: string | undefined;
}

/** free5GC's names for the session types (models.PduSessionType), and Open5GS's numbers (OGS_PDU_SESSION_TYPE_*). */
const FREE5GC_PDU_TYPE: Record<SessionType, string> = { IPv4: 'IPV4', IPv6: 'IPV6', IPv4v6: 'IPV4V6' };
const OPEN5GS_PDU_TYPE: Record<SessionType, number> = { IPv4: 1, IPv6: 2, IPv4v6: 3 };

export function renderSubscribers(fleet: Fleet, secrets: FleetSecrets | undefined, format: SubscriberFormat, gnb: GnbOptions = {}): string {
  const context = exportContext(fleet, secrets, formatHoldsSecrets(format));
  if (format === 'free5gc') {
    const subscribers = context.subscribers.map((subscriber) => ({ ...subscriber, body: free5gcBody({ ...context, subscriber }) }));
    return renderTemplate(TEMPLATES.free5gc, { ...context, subscribers });
  }
  if (format === 'ueransim-gnb') return renderTemplate(TEMPLATES[format], { ...context, gnb: gnbSettings(fleet, gnb) });
  return renderTemplate(TEMPLATES[format], context);
}

export type ExportContext = ReturnType<typeof exportContext>;

/** The one context every format is rendered from. */
export function exportContext(fleet: Fleet, secrets: FleetSecrets | undefined, needKeys: boolean) {
  const s = fleet.subscribers;
  const subscribers = fleet.vehicles.map((v) => {
    const keys = secrets?.subscribers[v.supi];
    if (needKeys && !keys) throw new UserError(`no K/OPc for ${v.supi}`, 'run `vvehicle fleet plan` again (it keeps existing keys and adds missing ones)');
    const imsi = v.supi.slice('imsi-'.length);
    return { supi: v.supi, imsi, key: keys?.key ?? '', opc: keys?.opc ?? '', msisdn: msisdnOf(imsi, s.mcc, s.mnc) };
  });
  const sliceContext = (slice: { sst: number; sd?: string | undefined }) => ({
    sst: slice.sst,
    sd: slice.sd ?? '',
    // free5GC keys its slice maps by SST (2 hex digits) + SD
    snssaiKey: `${slice.sst.toString(16).padStart(2, '0')}${slice.sd ?? ''}`,
    snssaiJson: JSON.stringify(slice.sd ? { sst: slice.sst, sd: slice.sd } : { sst: slice.sst }),
  });
  // the distinct slices the UE asks, in order (the first is the default), each with the DNNs and sessions asked on it
  const nssai = distinctSlices(s.sessions.map((x) => x.slice)).map((slice) => {
    const on = s.sessions.filter((x) => sameSlice(x.slice, slice));
    const dnns = [...new Set(on.map((x) => x.dnn))].map((dnn) => ({ dnn, pduTypes: [...new Set(on.filter((x) => x.dnn === dnn).map((x) => FREE5GC_PDU_TYPE[x.type]))] }));
    return { ...sliceContext(slice), dnns, sessions: on.map((x) => ({ dnn: x.dnn, open5gsType: OPEN5GS_PDU_TYPE[x.type] })) };
  });
  return {
    fleet: fleet.name,
    count: fleet.vehicles.length,
    mcc: s.mcc,
    mnc: s.mnc,
    plmn: `${s.mcc}${s.mnc}`,
    amf: s.amf,
    nssai,
    subscribers,
    firstSupi: subscribers[0]!.supi,
    lastSupi: subscribers.at(-1)!.supi,
    gnbSearchList: s.gnbSearchList,
  };
}

/** A subscriber's MSISDN (free5GC needs one per subscriber): its MSIN, which is unique in the PLMN. */
function msisdnOf(imsi: string, mcc: string, mnc: string): string {
  return imsi.slice(mcc.length + mnc.length);
}

function free5gcBody(context: ExportContext & { subscriber: ExportContext['subscribers'][number] }): string {
  const text = renderTemplate(FREE5GC_BODY, context);
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new Error(`${FREE5GC_BODY} rendered no JSON for ${context.subscriber.supi}: ${(error as Error).message}`);
  }
}

/**
 * nr-gnb's own settings. Defaults: the link, NGAP and GTP addresses are the first address the vehicles
 * search (the gNB is where the UEs look for it); the AMF is UERANSIM's example address and the NGAP port;
 * NCI, gNB id length and TAC are UERANSIM's example values (config/free5gc-gnb.yaml), which free5GC's and
 * Open5GS's example AMFs serve.
 */
export function gnbSettings(fleet: Fleet, o: GnbOptions) {
  // nr-gnb takes an IP address, a name it resolves or an interface name for each (gnb.cpp:51-53)
  const linkIp = o.linkIp ?? fleet.subscribers.gnbSearchList[0]!;
  for (const [flag, value] of [['--link-ip', o.linkIp], ['--ngap-ip', o.ngapIp], ['--gtp-ip', o.gtpIp]] as const) {
    if (value !== undefined && !ADDRESS.test(value)) throw new UserError(`${flag} "${value}": want an IP address or host name`);
  }
  const amfConfigs = (o.amf?.length ? o.amf : [DEFAULT_AMF]).map((spec) => {
    const m = /^([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(spec);
    const port = Number(m?.[2] ?? NGAP_PORT);
    // nr-gnb: amfConfigs[].port 1024..65535 (gnb.cpp:66)
    if (!m || port < 1024 || port > 65535) throw new UserError(`--amf-address "${spec}": want an IPv4 address or host name, and a port of 1024 to 65535 (default ${NGAP_PORT})`);
    return { address: m[1]!, port };
  });
  const tac = o.tac === undefined ? 1 : Number(o.tac);
  if (!/^[0-9]+$/.test(o.tac ?? '1') || tac > 0xffffff) throw new UserError(`--tac "${o.tac}": a tracking area code is 0 to 16777215`);
  const nci = o.nci ?? '0x000000010';
  if (!/^0x[0-9a-fA-F]{9}$/.test(nci)) throw new UserError(`--nci "${nci}": want 36 bits as 0x and 9 hex digits (e.g. 0x000000010)`);
  return { nci, idLength: 32, tac, linkIp, ngapIp: o.ngapIp ?? linkIp, gtpIp: o.gtpIp ?? linkIp, amfConfigs, ignoreStreamIds: true };
}
const NGAP_PORT = 38412;
const ADDRESS = /^[A-Za-z0-9.:-]+$/;
const DEFAULT_AMF = '127.0.0.1';

export interface CsvSubscriber {
  supi: string;
  key: string;
  opc: string;
}

/**
 * A subscribers CSV to import (RFC 4180: quoted fields, CRLF, a BOM): a header naming `supi` (or `imsi`),
 * `key` (or `k`, `ki`) and `opc`, then one subscriber a record. Errors name file:line:column. A K that two
 * subscribers share is refused: a SIM's K is its own, and a core accepting the second would let either SIM
 * stand in for the other.
 */
export function readSubscribersCsv(file: string): CsvSubscriber[] {
  if (!existsSync(file)) throw new UserError(`${file} does not exist`, 'pass a CSV with the columns supi,key,opc');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's types do not model info: true (each record then comes with where it was read)
    records = parseCsv(readFileSync(file, 'utf8'), { bom: true, info: true, trim: true, skip_empty_lines: true, comment: '#', relax_column_count: true }) as unknown as typeof records;
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new UserError(`${file}:${e.lines ?? 1}: not a CSV: ${e.message}`, 'quote fields that hold commas or quotes ("a,b"; a quote inside doubled: "")');
  }
  const [head, ...rows] = records;
  const header = (head?.record ?? []).map((h) => h.toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const [supiCol, keyCol, opcCol] = [col('supi', 'imsi'), col('key', 'k', 'ki'), col('opc')];
  if (supiCol < 0 || keyCol < 0 || opcCol < 0) throw new UserError(`${file}:${head?.info.lines ?? 1}:1: the header must name the columns supi, key and opc (got "${header.join(',')}")`);
  const out: CsvSubscriber[] = [];
  const lineOf = new Map<string, number>();
  const keyOwner = new Map<string, { supi: string; line: number }>();
  for (const { record, info } of rows) {
    const where = `${file}:${info.lines}`;
    const raw = record[supiCol] ?? '';
    const supi = raw.startsWith('imsi-') ? raw : `imsi-${raw}`;
    const key = (record[keyCol] ?? '').toLowerCase();
    const opc = (record[opcCol] ?? '').toLowerCase();
    if (!/^imsi-[0-9]{15}$/.test(supi)) throw new UserError(`${where}:${supiCol + 1}: "${raw}" is not a 15-digit IMSI`);
    if (!/^[0-9a-f]{32}$/.test(key)) throw new UserError(`${where}:${keyCol + 1}: key must be 32 hex digits`);
    if (!/^[0-9a-f]{32}$/.test(opc)) throw new UserError(`${where}:${opcCol + 1}: opc must be 32 hex digits`);
    if (lineOf.has(supi)) throw new UserError(`${where}:${supiCol + 1}: ${supi} appears twice (first on line ${lineOf.get(supi)})`);
    const owner = keyOwner.get(key);
    if (owner) throw new UserError(`${where}:${keyCol + 1}: ${supi} has the same K as ${owner.supi} (line ${owner.line})`, 'each subscriber needs a K of its own: correct the CSV');
    lineOf.set(supi, info.lines);
    keyOwner.set(key, { supi, line: info.lines });
    out.push({ supi, key, opc });
  }
  return out;
}
