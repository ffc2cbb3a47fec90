import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HEALTH_MARKER, healthJsonIn, plainText } from '../smoke/console-patterns.js';
import { healthProblems, parseHealth } from '../smoke/health.js';
import { PROBES } from '../smoke/probes.js';
import type { HealthReport } from '../smoke/types.js';
import { domainState, downloadVolume } from '../tools/virsh.js';
import { REMOTE_CONSOLE } from './remote.js';
import { readFleet, type Fleet, type Vehicle } from './fleet-file.js';
import { readState, vehiclePaths } from './state.js';
import { eachLimited } from './storage.js';

/** The identity a vehicle's health line echoes back (what the identity unit read from its credentials). */
export interface EchoedIdentity {
  vehicleId?: string;
  supi?: string;
  hostname?: string;
}

export interface VehicleStatus {
  id: string;
  domain: string;
  host: string;
  /** `virsh domstate`, or "undefined" when libvirt has no such domain. */
  state: string;
  /** The last VVEHICLE-HEALTH line's JSON, when the console shows one. */
  health?: Record<string, unknown>;
  identity?: EchoedIdentity;
  /** healthy: the judge found no problem and the identity is this vehicle's own. */
  verdict: 'healthy' | 'unhealthy' | 'booting' | 'down';
  problems: string[];
  probes: { id: string; status: 'pass' | 'fail' | 'skipped'; detail: string }[];
  consoleLog: string;
}

/** Reads at most the last `bytes` of a console log (they grow for as long as the vehicle runs). */
function tail(file: string, bytes = 256 * 1024): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const length = Math.min(size, bytes);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return plainText(buffer.toString('utf8'));
}

export function lastHealthLine(consoleText: string): string | undefined {
  const lines = consoleText.split('\n').filter((l) => l.includes(`${HEALTH_MARKER} {`));
  return lines.at(-1);
}

/** The identity the health line echoes (null fields left out). */
export function echoedIdentity(report: HealthReport): EchoedIdentity | undefined {
  if (!report.identity) return undefined;
  const identity: EchoedIdentity = {};
  const { vehicleId, supi, hostname } = report.identity;
  if (vehicleId) identity.vehicleId = vehicleId;
  if (supi) identity.supi = supi;
  if (hostname) identity.hostname = hostname;
  return identity;
}

/**
 * Judges one vehicle from its console text and domain state (pure, for tests on recorded consoles),
 * with the pipeline's own health judge: healthy, and the identity it echoes is this vehicle's.
 */
export function judgeVehicle(vehicle: Vehicle, state: string, consoleText: string): Pick<VehicleStatus, 'health' | 'identity' | 'verdict' | 'problems'> {
  if (state !== 'running') return { verdict: 'down', problems: [`domain is ${state}`] };
  const line = lastHealthLine(consoleText);
  const json = line && healthJsonIn(line);
  if (!json) return { verdict: 'booting', problems: ['no VVEHICLE-HEALTH line on the console yet'] };
  const parsed = parseHealth(json);
  if ('problem' in parsed) return { verdict: 'unhealthy', problems: [parsed.problem] };
  const health = JSON.parse(json) as Record<string, unknown>;
  const identity = echoedIdentity(parsed.report);
  const problems = healthProblems(parsed.report, false, { kind: 'echo', vehicleId: vehicle.id, supi: vehicle.supi, hostname: vehicle.hostname });
  return { health, ...(identity ? { identity } : {}), verdict: problems.length ? 'unhealthy' : 'healthy', problems };
}

/** The guest ports the probes reach, by probe id (node_exporter's default, otelcol's health_check extension). */
export const PROBE_GUEST_PORTS: readonly (readonly [string, number])[] = [
  ['node-exporter-metrics', 9100],
  ['otelcol-health', 13133],
];
const PROBE_PORTS: Record<string, number> = Object.fromEntries(PROBE_GUEST_PORTS);

/**
 * The smoke probes (with smoke's judges), against the guest address its health line reports, or under
 * user-mode networking against the host ports `up` forwarded to the guest (state.json). A vehicle with
 * user-mode networking and no forwards (on a remote host) is not reachable from here: skipped, saying why.
 */
async function probe(fleet: Fleet, vehicle: Vehicle, health: Record<string, unknown> | undefined, forwarded: Record<string, number> | undefined, signal?: AbortSignal): Promise<VehicleStatus['probes']> {
  const units = Object.keys((health?.units as Record<string, string> | undefined) ?? {});
  const ipv4 = typeof health?.ipv4 === 'string' ? health.ipv4 : undefined;
  return Promise.all(
    PROBES.map(async (spec) => {
      if (!units.some((u) => spec.unit.test(u))) return { id: spec.id, status: 'skipped' as const, detail: `the health line lists no ${spec.unit.source} unit` };
      let url: string;
      if (fleet.network.type === 'user') {
        const port = forwarded?.[spec.id];
        if (!port) return { id: spec.id, status: 'skipped' as const, detail: 'user-mode networking without a recorded host forward (a remote host, or a vehicle started by an older vvehicle): the guest is not reachable from here' };
        url = `http://127.0.0.1:${port}${spec.path}`;
      } else {
        if (!ipv4) return { id: spec.id, status: 'fail' as const, detail: 'the health line reports no IPv4 address' };
        url = `http://${ipv4}:${PROBE_PORTS[spec.id]}${spec.path}`;
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(5000), ...(signal ? [signal] : [])]) });
        // the same judge as smoke: node_exporter must also label its metrics with THIS vehicle's id
        const problem = spec.check(response.status, await response.text(), { vehicleId: vehicle.id });
        return { id: spec.id, status: problem ? ('fail' as const) : ('pass' as const), detail: problem ?? `GET ${url} answered ${response.status}` };
      } catch (error) {
        return { id: spec.id, status: 'fail' as const, detail: `GET ${url}: ${(error as Error).message}` };
      }
    }),
  );
}

export async function fleetStatus(dir: string, options: { parallel: number; signal?: AbortSignal }): Promise<VehicleStatus[]> {
  const abs = resolve(dir);
  const fleet = readFleet(abs);
  const recorded = new Map((readState(abs)?.vehicles ?? []).map((e) => [`${e.host}\0${e.domain}`, e]));
  const result: VehicleStatus[] = [];
  await eachLimited(fleet.vehicles, options.parallel, async (v) => {
    const state = (await domainState(v.host, v.domain, { signal: options.signal })) ?? 'undefined';
    const consoleLog = vehiclePaths(abs, v).consoleLog;
    const entry = recorded.get(`${v.host}\0${v.domain}`);
    // a remote vehicle's console is a file on its host, in its pool: fetched through libvirt to read it here
    if (entry?.remote && state !== 'undefined') {
      mkdirSync(dirname(consoleLog), { recursive: true });
      await downloadVolume(v.host, entry.remote.pool, REMOTE_CONSOLE, consoleLog, { refresh: true, signal: options.signal });
    }
    const judged = judgeVehicle(v, state, tail(consoleLog));
    const probes = judged.verdict === 'down' || judged.verdict === 'booting' ? [] : await probe(fleet, v, judged.health, entry?.probePorts, options.signal);
    const failedProbes = probes.filter((p) => p.status === 'fail');
    const problems = [...judged.problems, ...failedProbes.map((p) => `probe ${p.id}: ${p.detail}`)];
    result.push({
      id: v.id,
      domain: v.domain,
      host: v.host,
      state,
      ...(judged.health ? { health: judged.health } : {}),
      ...(judged.identity ? { identity: judged.identity } : {}),
      verdict: judged.verdict === 'healthy' && failedProbes.length ? 'unhealthy' : judged.verdict,
      problems,
      probes,
      consoleLog,
    });
  });
  return result.sort((a, b) => a.id.localeCompare(b.id));
}
