import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { renderTemplate } from '../templates.js';
import type { Fleet, FleetSecrets } from './fleet-file.js';

/**
 * What the 5G core must be provisioned with for a fleet, in the core's own format, and the gNB side
 * (UERANSIM) that the vehicles' gnbSearchList points at. Every format but the gNB snippet holds keys.
 */
export const SUBSCRIBER_FORMATS = ['free5gc', 'open5gs', 'csv', 'ueransim-gnb'] as const;
export type SubscriberFormat = (typeof SUBSCRIBER_FORMATS)[number];

const TEMPLATES: Record<SubscriberFormat, string> = {
  free5gc: 'fleet/subscribers/free5gc.json.hbs',
  open5gs: 'fleet/subscribers/open5gs.sh.hbs',
  csv: 'fleet/subscribers/subscribers.csv.hbs',
  'ueransim-gnb': 'fleet/subscribers/ueransim-gnb.yaml.hbs',
};

export function formatHoldsSecrets(format: SubscriberFormat): boolean {
  return format !== 'ueransim-gnb';
}

export function renderSubscribers(fleet: Fleet, secrets: FleetSecrets | undefined, format: SubscriberFormat): string {
  const s = fleet.subscribers;
  const subscribers = fleet.vehicles.map((v) => {
    const keys = secrets?.subscribers[v.supi];
    if (formatHoldsSecrets(format) && !keys) throw new UserError(`no K/OPc for ${v.supi}`, 'run `vvehicle fleet plan` again (it keeps existing keys and adds missing ones)');
    return { supi: v.supi, imsi: v.supi.slice('imsi-'.length), key: keys?.key ?? '', opc: keys?.opc ?? '' };
  });
  const snssai = s.sd ? { sst: s.sst, sd: s.sd } : { sst: s.sst };
  return renderTemplate(TEMPLATES[format], {
    fleet: fleet.name,
    count: fleet.vehicles.length,
    mcc: s.mcc,
    mnc: s.mnc,
    plmn: `${s.mcc}${s.mnc}`,
    dnn: s.dnn,
    sst: s.sst,
    sd: s.sd ?? '',
    // free5GC keys slice maps by SST (2 hex digits) + SD
    snssaiKey: `${s.sst.toString(16).padStart(2, '0')}${s.sd ?? ''}`,
    snssaiJson: JSON.stringify(snssai),
    subscribers,
    firstSupi: subscribers[0]!.supi,
    lastSupi: subscribers.at(-1)!.supi,
    gnbSearchList: s.gnbSearchList,
    linkIp: s.gnbSearchList[0] ?? '',
  });
}

/**
 * A subscribers CSV to import: a header naming `supi` (or `imsi`), `key` (or `k`) and `opc`, then one
 * subscriber a line. Errors name file:line.
 */
export function readSubscribersCsv(file: string): { supi: string; key: string; opc: string }[] {
  if (!existsSync(file)) throw new UserError(`${file} does not exist`, 'pass a CSV with the columns supi,key,opc');
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const [supiCol, keyCol, opcCol] = [col('supi', 'imsi'), col('key', 'k', 'ki'), col('opc')];
  if (supiCol < 0 || keyCol < 0 || opcCol < 0) throw new UserError(`${file}:1:1: the header must name the columns supi, key and opc (got "${lines[0] ?? ''}")`);
  const rows: { supi: string; key: string; opc: string }[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    const where = `${file}:${i + 2}`;
    const raw = cells[supiCol] ?? '';
    const supi = raw.startsWith('imsi-') ? raw : `imsi-${raw}`;
    const key = (cells[keyCol] ?? '').toLowerCase();
    const opc = (cells[opcCol] ?? '').toLowerCase();
    if (!/^imsi-[0-9]{15}$/.test(supi)) throw new UserError(`${where}:${supiCol + 1}: "${raw}" is not a 15-digit IMSI`);
    if (!/^[0-9a-f]{32}$/.test(key)) throw new UserError(`${where}:${keyCol + 1}: key must be 32 hex digits`);
    if (!/^[0-9a-f]{32}$/.test(opc)) throw new UserError(`${where}:${opcCol + 1}: opc must be 32 hex digits`);
    if (seen.has(supi)) throw new UserError(`${where}:${supiCol + 1}: ${supi} appears twice`);
    seen.add(supi);
    rows.push({ supi, key, opc });
  });
  return rows;
}
