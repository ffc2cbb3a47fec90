import type { HealthReport, ProbeResult } from './types.js';

/**
 * HTTP checks through QEMU's host forwards once the guest reports healthy. A probe runs only when
 * config enables it AND the health line lists the component's unit: an image (or fixture) without
 * that component has nothing to probe, and skipping says so instead of failing on a closed port.
 */
export interface ProbeSpec {
  id: 'node-exporter-metrics' | 'otelcol-health';
  title: string;
  configKey: 'nodeExporter' | 'otelcolHealth';
  /** Unit names in the health line's `units` that mean the component is in the image. */
  unit: RegExp;
  path: string;
  /** Returns a failure message, or undefined when the answer is good. */
  check: (status: number, body: string, expected: ProbeExpectations) => string | undefined;
}

/** What the guest's answers must also show: the vehicle id smoke passed, as a Prometheus label. */
export interface ProbeExpectations {
  vehicleId?: string;
}

/** vvehicle_vehicle_info{…,vehicle_id="<id>",…} 1: the textfile metric vvehicle-identity writes at boot. */
function hasVehicleInfo(body: string, vehicleId: string): boolean {
  const label = `vehicle_id="${vehicleId}"`;
  return body.split('\n').some((line) => line.startsWith('vvehicle_vehicle_info{') && line.includes(label) && /\}\s+1$/.test(line.trim()));
}

export const PROBES: readonly ProbeSpec[] = [
  {
    id: 'node-exporter-metrics',
    title: 'node_exporter GET /metrics',
    configKey: 'nodeExporter',
    unit: /^node_exporter(\.socket|\.service)?$/,
    path: '/metrics',
    check: (status, body, expected) => {
      if (status !== 200) return `answered HTTP ${status}`;
      if (!/^node_[a-z_]+/m.test(body)) return 'answered 200 but without node_ series';
      if (expected.vehicleId && !hasVehicleInfo(body, expected.vehicleId)) return `answered 200 but without vvehicle_vehicle_info{vehicle_id="${expected.vehicleId}"} 1`;
      return undefined;
    },
  },
  {
    id: 'otelcol-health',
    title: 'otelcol health_check GET /',
    configKey: 'otelcolHealth',
    unit: /^otelcol-contrib(\.service)?$/,
    path: '/',
    check: (status) => (status === 200 ? undefined : `answered HTTP ${status}`),
  },
];

export interface PlannedProbe {
  spec: ProbeSpec;
  run: boolean;
  /** Why it is skipped (when run is false). */
  reason?: string;
}

/** Which probes run for this config and this health report. */
export function planProbes(enabled: Record<ProbeSpec['configKey'], boolean>, health: HealthReport | undefined): PlannedProbe[] {
  return PROBES.map((spec) => {
    if (!enabled[spec.configKey]) return { spec, run: false, reason: `disabled by smoke.probes.${spec.configKey}` };
    const units = Object.keys(health?.units ?? {});
    if (!units.some((u) => spec.unit.test(u))) return { spec, run: false, reason: `the health line lists no ${spec.unit.source} unit` };
    return { spec, run: true };
  });
}

/**
 * GETs http://127.0.0.1:<port><path> until the check passes or `budgetMs` runs out: a socket-activated
 * exporter under TCG takes seconds to answer its first request.
 */
export async function runProbe(spec: ProbeSpec, port: number, budgetMs: number, signal: AbortSignal, expected: ProbeExpectations = {}): Promise<ProbeResult> {
  const started = Date.now();
  const url = `http://127.0.0.1:${port}${spec.path}`;
  let last = 'no answer';
  while (!signal.aborted) {
    const left = budgetMs - (Date.now() - started);
    if (left <= 0) break;
    try {
      const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(Math.min(left, 15_000))]) });
      const body = await response.text();
      const problem = spec.check(response.status, body, expected);
      if (!problem) return { id: spec.id, status: 'pass', durationMs: Date.now() - started, detail: `GET ${spec.path} on guest answered ${response.status}` };
      last = problem;
    } catch (error) {
      const cause = (error as Error & { cause?: unknown }).cause;
      last = cause instanceof Error ? cause.message : (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (signal.aborted) throw signal.reason;
  return { id: spec.id, status: 'fail', durationMs: Date.now() - started, detail: `GET ${spec.path}: ${last}` };
}
