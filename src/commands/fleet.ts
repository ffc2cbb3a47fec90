import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { fleetDown } from '../fleet/down.js';
import { DEFAULT_FLEET_DIR, FLEET_FILE, readFleet, readSecrets, SECRETS_FILE, writeFleet, writeSecrets, type Fleet, type FleetHost } from '../fleet/fleet-file.js';
import { planFleet } from '../fleet/plan.js';
import { fleetUe } from '../fleet/ue-request.js';
import { openPublishedImage } from '../fleet/published-image.js';
import { fleetStatus, type VehicleStatus } from '../fleet/status.js';
import type { Storage } from '../fleet/storage.js';
import { formatHoldsSecrets, readSubscribersCsv, renderSubscribers, SUBSCRIBER_FORMATS, type SubscriberFormat } from '../fleet/subscribers.js';
import { newUpProgress, prepareUp, runUp, type UpPlan, type UpProgress } from '../fleet/up.js';
import { machineFault } from '../faults.js';
import { runSignal } from '../signals.js';
import { checkConnection, hostCpuCount } from '../tools/virsh.js';
import { runTasks } from '../progress/listr-renderer.js';

/** `vvehicle fleet …`: the first consumer of a published manifest (it reads nothing else of ours). */
export const DEFAULT_URI = 'qemu:///system';

export interface FleetCommon {
  dir?: string;
}

export interface FleetPlanOptions extends FleetCommon {
  image: string;
  count: string;
  name?: string;
  connect?: string;
  host?: string[];
  mcc?: string;
  mnc?: string;
  amf?: string;
  baseImsi?: string;
  subscribers?: string;
  gnb?: string[];
  dnn?: string;
  sst?: string;
  sd?: string;
  memory?: string;
  vcpus?: string;
  cpuPinning?: 'strict' | 'off';
  network?: string;
  json?: boolean;
}

const fleetDir = (o: FleetCommon, cwd: string) => resolve(cwd, o.dir ?? DEFAULT_FLEET_DIR);
/** The fleet dir as a command to copy should name it: relative below cwd, absolute elsewhere. */
const shownDir = (cwd: string, dir: string) => {
  const rel = relative(cwd, dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
};

function wholeNumber(value: string | undefined, flag: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value) || Number(value) < min) throw new UserError(`${flag} must be a whole number of at least ${min}, got "${value}"`);
  return Number(value);
}

/** `URI[,cores=N][,reserved=0,2-3]`: reserved takes the rest of the spec (its list has commas too). */
export function parseHostSpec(spec: string): { uri: string; cores?: number; reserved?: number[]; dir?: string } {
  const [uri, ...rest] = spec.split(',');
  if (!uri || !/^[a-z][a-z0-9+.-]*:\/\//.test(uri)) throw new UserError(`--host "${spec}": must start with a libvirt URI such as qemu:///system or qemu+ssh://host/system`);
  const out: { uri: string; cores?: number; reserved?: number[]; dir?: string } = { uri };
  let inReserved = false;
  for (const part of rest) {
    const [key, value] = part.includes('=') ? part.split('=', 2) : [inReserved ? 'reserved' : part, undefined];
    if (key === 'cores' && value !== undefined) {
      out.cores = wholeNumber(value, `--host ${uri} cores`)!;
      inReserved = false;
    } else if (key === 'reserved') {
      inReserved = true;
      const item = value ?? part;
      const range = /^(\d+)(?:-(\d+))?$/.exec(item);
      if (!range) throw new UserError(`--host ${uri}: reserved "${item}" must be core numbers or ranges (0,2-3)`);
      const [from, to] = [Number(range[1]), Number(range[2] ?? range[1])];
      out.reserved = [...(out.reserved ?? []), ...Array.from({ length: to - from + 1 }, (_, i) => from + i)];
    } else if (key === 'dir' && value !== undefined) {
      if (!value.startsWith('/')) throw new UserError(`--host ${uri}: dir=${value} must be an absolute path on that host`);
      out.dir = value;
      inReserved = false;
    } else throw new UserError(`--host ${uri}: unknown setting "${part}" (want cores=N, reserved=LIST, dir=PATH)`);
  }
  return out;
}

function parseNetwork(value: string | undefined): Fleet['network'] {
  if (!value || value === 'user') return { type: 'user' };
  const m = /^(network|bridge):([A-Za-z0-9_.-]+)$/.exec(value);
  if (!m) throw new UserError(`--network "${value}": want user, network:<libvirt network> or bridge:<host bridge>`);
  return { type: m[1] as 'network' | 'bridge', name: m[2]! };
}

export async function fleetPlanCommand(options: FleetPlanOptions, cwd = process.cwd()): Promise<string> {
  const dir = fleetDir(options, cwd);
  const count = wholeNumber(options.count, '--count', 0)!;
  if (count < 1) throw new UserError('--count must be at least 1');
  const name = options.name ?? 'vv';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new UserError(`--name "${name}": lower-case letters, digits and -, starting with a letter, at most 31`);
  if (options.subscribers && options.baseImsi) throw new UserError('--subscribers and --base-imsi exclude each other: SUPIs come from the CSV or from the base IMSI');
  const network = parseNetwork(options.network);

  const image = openPublishedImage(resolve(cwd, options.image));
  // what each UE asks the core for: the image's, with what a vehicle can be given at boot (checked first)
  const ue = fleetUe(image.manifest, options);
  const disk = image.manifest.artifacts.find((a) => a.role === 'disk')!;
  const csv = options.subscribers ? { file: resolve(cwd, options.subscribers), rows: readSubscribersCsv(resolve(cwd, options.subscribers)) } : undefined;
  const specs = (options.host?.length ? options.host : [options.connect ?? DEFAULT_URI]).map(parseHostSpec);
  const hosts: FleetHost[] = [];
  for (const spec of specs) {
    // without cores=, ask the host (this also refuses an unknown URI before anything is written)
    let cores = spec.cores;
    if (cores === undefined) {
      await checkConnection(spec.uri, { signal: runSignal });
      cores = await hostCpuCount(spec.uri, { signal: runSignal });
    }
    const reserved = spec.reserved ?? (cores >= 4 ? [0] : []);
    const outside = reserved.filter((c) => c >= cores);
    if (outside.length) throw new UserError(`--host ${spec.uri}: reserved core(s) ${outside.join(', ')} beyond its ${cores} cores`);
    hosts.push({ uri: spec.uri, cores, reserved, ...(spec.dir ? { dir: spec.dir } : {}) });
  }

  const previous = readSecrets(dir);
  const { fleet, secrets, generated } = planFleet({
    name,
    count,
    image: { manifest: image.manifestPath, name: image.manifest.name, version: image.manifest.version, buildId: image.manifest.buildId, diskSha256: disk.sha256 },
    ue,
    ...(options.baseImsi ? { baseImsi: options.baseImsi } : {}),
    ...(csv ? { csv } : {}),
    memoryMiB: wholeNumber(options.memory, '--memory', 128) ?? image.manifest.boot.memoryMiB,
    vcpus: wholeNumber(options.vcpus, '--vcpus') ?? image.manifest.boot.cpus,
    cpuPinning: options.cpuPinning ?? 'strict',
    network,
    hosts,
    ...(previous ? { previous } : {}),
    newSecret: () => randomBytes(16).toString('hex'),
  });

  mkdirSync(dir, { recursive: true });
  writeSecrets(dir, secrets);
  writeFleet(dir, fleet);
  if (options.json) return JSON.stringify(fleet, null, 2);
  const rel = relative(cwd, dir) || '.';
  return [
    `planned ${fleet.vehicles.length} vehicle(s) of ${fleet.image.name} ${fleet.image.version} in ${rel}/${FLEET_FILE}`,
    ...fleet.vehicles.map((v) => `  ${v.id}  ${v.supi}  ${v.mac}  ${v.host}${v.cpuset.length ? `  cores ${v.cpuset.join(',')}` : ''}`),
    `keys: ${rel}/${SECRETS_FILE} (0600; ${generated} generated now, the rest ${csv ? 'imported or ' : ''}kept)`,
    ...fleet.notes.map((n) => `note: ${n}`),
    `next: vvehicle fleet up --dir ${rel}`,
  ].join('\n');
}

export interface FleetUpOptions extends FleetCommon {
  storage?: Storage;
  parallel?: string;
  json?: boolean;
}

export async function fleetUpCommand(options: FleetUpOptions, cwd = process.cwd()): Promise<string> {
  const dir = fleetDir(options, cwd);
  const parallel = wholeNumber(options.parallel, '--parallel') ?? 4;
  const storage = options.storage ?? 'overlay';
  const logFile = join(dir, 'logs', `up-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const progress = newUpProgress();
  const upOptions = { dir, storage, parallel, signal: runSignal, logFile, progress };
  const ctx: { plan?: UpPlan; result?: { started: string[]; alreadyUp: string[] } } = {};
  await runTasks(
    [
      {
        title: 'check the fleet, the published image and libvirt',
        task: async (_c, task) => {
          ctx.plan = await prepareUp({ ...upOptions, logFile: undefined }, { step: (t) => (task.output = t), progress: (t) => (task.output = t) });
          task.title = `checked: ${ctx.plan.todo.length} to start, ${ctx.plan.running.length} already up, disk sha256 matches the manifest`;
        },
      },
      {
        title: 'create and start the vehicles',
        task: async (_c, task) => {
          ctx.result = await runUp(ctx.plan!, upOptions, { step: (t) => (task.title = t), progress: (t) => (task.output = t) });
          task.title = `started ${ctx.result.started.length} vehicle(s)`;
        },
        rendererOptions: { persistentOutput: true },
      },
    ],
    {},
  ).catch((error: unknown) => {
    if (!existsSync(join(dir, 'state.json'))) throw error;
    // a fault of the machine (full disk, libvirtd gone) is reported here, with what this up created
    const reported = runSignal.aborted ? error : (machineFault(error) ?? error);
    const hint = `${createdSoFar(progress)}; \`vvehicle fleet down --dir ${shownDir(cwd, dir)}\` removes what this up created`;
    if (reported instanceof UserError) throw new UserError(reported.message, reported.hint ? `${reported.hint}\n${hint}` : hint);
    if (reported instanceof Error) reported.message += `\n(${hint})`;
    throw reported;
  });
  const r = ctx.result!;
  if (options.json) return JSON.stringify(r, null, 2);
  return [
    `started ${r.started.length} vehicle(s)${r.alreadyUp.length ? `, ${r.alreadyUp.length} already up` : ''}`,
    `next: vvehicle fleet status --dir ${relative(cwd, dir) || '.'}`,
  ].join('\n');
}

/** "created before it stopped: …", per vehicle, from what `up` recorded as it went. */
export function createdSoFar(p: UpProgress): string {
  const ids = [...new Set([...p.disks, ...p.defined, ...p.started])].sort();
  if (!ids.length) return 'nothing was created';
  const what = (id: string) => (p.started.includes(id) ? 'disk, domain started' : p.defined.includes(id) ? 'disk, domain defined' : 'disk');
  return `created before it stopped: ${ids.map((id) => `${id} (${what(id)})`).join(', ')}`;
}

export async function fleetStatusCommand(options: FleetCommon & { json?: boolean; parallel?: string; wait?: string }, cwd = process.cwd()): Promise<{ text: string; healthy: boolean }> {
  const dir = fleetDir(options, cwd);
  const waitMs = (wholeNumber(options.wait, '--wait', 0) ?? 0) * 1000;
  const until = Date.now() + waitMs;
  let status = await fleetStatus(dir, { parallel: wholeNumber(options.parallel, '--parallel') ?? 8, signal: runSignal });
  // --wait: a vehicle that is down or unhealthy is final only at the deadline (it may still be booting)
  while (!status.every((s) => s.verdict === 'healthy') && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    runSignal.throwIfAborted();
    status = await fleetStatus(dir, { parallel: 8, signal: runSignal });
  }
  const healthy = status.every((s) => s.verdict === 'healthy');
  if (options.json) return { text: JSON.stringify({ healthy, vehicles: status }, null, 2), healthy };
  return { text: statusTable(status), healthy };
}

function statusTable(status: VehicleStatus[]): string {
  const rows = status.map((s) => [s.id, s.state, s.verdict, s.identity?.supi ?? '-', s.identity?.hostname ?? '-', s.problems[0] ?? '']);
  const head = ['VEHICLE', 'DOMAIN', 'HEALTH', 'SUPI (echoed)', 'HOSTNAME (echoed)', 'PROBLEM'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const counts = ['healthy', 'unhealthy', 'booting', 'down'].map((v) => `${status.filter((s) => s.verdict === v).length} ${v}`).join(', ');
  return [line(head), ...rows.map(line), `${status.length} vehicle(s): ${counts}`].join('\n');
}

export async function fleetDownCommand(options: FleetCommon & { json?: boolean; parallel?: string }, cwd = process.cwd()): Promise<string> {
  const dir = fleetDir(options, cwd);
  const ctx: { result?: Awaited<ReturnType<typeof fleetDown>> } = {};
  await runTasks(
    [
      {
        title: 'destroy, undefine and remove the vehicles',
        task: async (_c, task) => {
          ctx.result = await fleetDown(dir, { parallel: wholeNumber(options.parallel, '--parallel') ?? 8, signal: runSignal, onProgress: (t) => (task.output = t) });
          task.title = `${ctx.result.vehicles.length} vehicle(s) down`;
        },
      },
    ],
    {},
  );
  const r = ctx.result!;
  if (options.json) return JSON.stringify(r, null, 2);
  const removed = r.vehicles.filter((v) => v.domainWas !== 'absent' || v.disk === 'removed').length;
  return `${removed} vehicle(s) removed, ${r.vehicles.length - removed} already gone; the published base was not touched (console logs kept in ${relative(cwd, join(dir, 'consoles')) || '.'})`;
}

export interface FleetSubscribersOptions extends FleetCommon {
  format: SubscriberFormat;
  out?: string;
  linkIp?: string;
  ngapIp?: string;
  gtpIp?: string;
  amfAddress?: string[];
  tac?: string;
  nci?: string;
}

export function fleetSubscribersCommand(options: FleetSubscribersOptions, cwd = process.cwd()): string | undefined {
  if (!SUBSCRIBER_FORMATS.includes(options.format)) throw new UserError(`--format ${options.format}: want one of ${SUBSCRIBER_FORMATS.join(', ')}`);
  const dir = fleetDir(options, cwd);
  const fleet = readFleet(dir);
  const gnb = { linkIp: options.linkIp, ngapIp: options.ngapIp, gtpIp: options.gtpIp, amf: options.amfAddress, tac: options.tac, nci: options.nci };
  if (options.format !== 'ueransim-gnb' && Object.values(gnb).some((v) => v !== undefined)) {
    throw new UserError('--link-ip, --ngap-ip, --gtp-ip, --amf-address, --tac and --nci are settings of --format ueransim-gnb');
  }
  const text = renderSubscribers(fleet, formatHoldsSecrets(options.format) ? readSecrets(dir) : undefined, options.format, gnb);
  if (!options.out) return text.trimEnd();
  const out = resolve(cwd, options.out);
  const mode = formatHoldsSecrets(options.format) ? 0o600 : 0o644;
  writeFileAtomic(out, text, mode);
  chmodSync(out, mode);
  return undefined;
}
