import { describe, expect, it } from 'vitest';
import { healthProblems, parseHealth } from '../../src/smoke/health.js';
import { planProbes, PROBES } from '../../src/smoke/probes.js';
import type { HealthReport } from '../../src/smoke/types.js';

const healthy: HealthReport = {
  version: '0.1.0',
  state: 'running',
  failed: [],
  ipv4: '10.0.2.15',
  units: { 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'active', 'nr-ue.service': 'active' },
  connman: false,
};

describe('healthProblems', () => {
  it('accepts a running system with every unit active, an IPv4 and no connman', () => {
    expect(healthProblems(healthy, false)).toEqual([]);
  });

  it('accepts degraded only when smoke.allowDegraded is set', () => {
    const degraded = { ...healthy, state: 'degraded' };
    expect(healthProblems(degraded, false)).toEqual(['system state is "degraded" (want running)']);
    expect(healthProblems(degraded, true)).toEqual([]);
    expect(healthProblems({ ...healthy, state: 'starting' }, true)).toEqual(['system state is "starting" (want running or degraded)']);
  });

  it('names failed and inactive units, a missing address and connman', () => {
    const report = { ...healthy, state: 'degraded', failed: ['nr-ue.service'], ipv4: null, units: { ...healthy.units, 'nr-ue.service': 'failed', 'otelcol-contrib.service': 'activating' }, connman: true };
    expect(healthProblems(report, true)).toEqual([
      'failed units: nr-ue.service',
      'unit otelcol-contrib.service is activating (want active)',
      'unit nr-ue.service is failed (want active)',
      'no IPv4 address on the uplink',
      'connman is present (the image must use systemd-networkd)',
    ]);
  });
});

describe('parseHealth', () => {
  it('reads the layer script output, null version and ipv4 included', () => {
    const parsed = parseHealth('{"version":null,"state":"running","failed":[],"ipv4":null,"units":{},"connman":false}');
    expect(parsed).toEqual({ problem: 'the VVEHICLE-HEALTH line is malformed: version: Invalid input: expected string, received null' });
    expect(parseHealth('{"state":"running","failed":[],"ipv4":null,"units":{},"connman":false}')).toEqual({ report: { state: 'running', failed: [], ipv4: null, units: {}, connman: false } });
  });

  it('says which key is wrong', () => {
    expect(parseHealth('{"state":"running","failed":"none","units":{},"connman":false}')).toEqual({ problem: expect.stringMatching(/^the VVEHICLE-HEALTH line is malformed: failed: /) });
    expect(parseHealth('{"state":')).toEqual({ problem: expect.stringMatching(/not valid JSON/) });
  });
});

describe('planProbes: a probe runs only when config enables it AND the health line lists its unit', () => {
  const on = { nodeExporter: true, otelcolHealth: true };

  it('runs both for the full image', () => {
    expect(planProbes(on, healthy).map((p) => [p.spec.id, p.run])).toEqual([['node-exporter-metrics', true], ['otelcol-health', true]]);
  });

  it('skips both for fixture 1, whose health line lists no units, and says why', () => {
    const planned = planProbes(on, { ...healthy, units: {} });
    expect(planned.map((p) => p.run)).toEqual([false, false]);
    expect(planned[0]!.reason).toMatch(/lists no .*node_exporter/);
    expect(planned[1]!.reason).toMatch(/lists no .*otelcol-contrib/);
  });

  it('skips a probe disabled in config even when its unit is there', () => {
    const planned = planProbes({ nodeExporter: false, otelcolHealth: true }, healthy);
    expect(planned.map((p) => [p.run, p.reason])).toEqual([[false, 'disabled by smoke.probes.nodeExporter'], [true, undefined]]);
  });

  it('recognises node_exporter by its socket or its service', () => {
    expect(planProbes(on, { ...healthy, units: { 'node_exporter.service': 'active' } })[0]!.run).toBe(true);
    expect(planProbes(on, { ...healthy, units: { 'node_exporter_extra.service': 'active' } })[0]!.run).toBe(false);
  });

  it('checks answers: node_ series for /metrics, 200 for the otelcol health endpoint', () => {
    const [metrics, otel] = PROBES;
    expect(metrics!.check(200, '# HELP go_gc\nnode_cpu_seconds_total{cpu="0"} 1\n', {})).toBeUndefined();
    expect(metrics!.check(200, 'go_gc_duration_seconds 1\n', {})).toBe('answered 200 but without node_ series');
    expect(metrics!.check(503, '', {})).toBe('answered HTTP 503');
    expect(otel!.check(200, '{"status":"Server available"}', {})).toBeUndefined();
    expect(otel!.check(500, '', {})).toBe('answered HTTP 500');
  });

  it('with a vehicle id, /metrics must carry it as the vvehicle_vehicle_info label', () => {
    const [metrics] = PROBES;
    const body = (id: string) => `node_cpu_seconds_total{cpu="0"} 1\nvvehicle_vehicle_info{hostname="h",identity="ok",supi="imsi-1",vehicle_id="${id}"} 1\n`;
    expect(metrics!.check(200, body('veh-1'), { vehicleId: 'veh-1' })).toBeUndefined();
    expect(metrics!.check(200, body('veh-10'), { vehicleId: 'veh-1' })).toBe('answered 200 but without vvehicle_vehicle_info{vehicle_id="veh-1"} 1');
  });
});

describe('identity judgement', () => {
  const identity = { state: 'ok' as const, vehicleId: 'veh-1', hostname: 'veh-1', supi: 'imsi-208930000000001', missing: [], invalid: [] };
  const echo = { kind: 'echo' as const, vehicleId: 'veh-1', hostname: 'veh-1', supi: 'imsi-208930000000001' };

  it('passes when the health line echoes what smoke passed, and names each field that differs', () => {
    expect(healthProblems({ ...healthy, identity }, false, echo)).toEqual([]);
    expect(healthProblems({ ...healthy, identity: { ...identity, vehicleId: 'veh-2', hostname: 'vvehicle' } }, false, echo)).toEqual([
      'identity vehicleId is "veh-2", smoke passed "veh-1"',
      'identity hostname is "vvehicle", smoke passed "veh-1"',
    ]);
    expect(healthProblems(healthy, false, echo)).toEqual(['the health line reports no identity (the image has no vvehicle-identity unit)']);
  });

  it('without identity: "missing" and nr-ue not started pass; nr-ue running, or another state, fail', () => {
    const missing = { ...identity, state: 'missing' as const, vehicleId: null, supi: null, missing: ['vvehicle.vehicle-id'] };
    const stopped = { ...healthy, units: { ...healthy.units, 'nr-ue.service': 'inactive' }, identity: missing };
    expect(healthProblems(stopped, false, { kind: 'missing' })).toEqual([]);
    // inactive nr-ue is a problem when identity was passed
    expect(healthProblems({ ...stopped, identity }, false, echo)).toEqual(['unit nr-ue.service is inactive (want active)']);
    expect(healthProblems({ ...healthy, identity: missing }, false, { kind: 'missing' })).toEqual(['nr-ue.service is active without identity (want it not started)']);
    expect(healthProblems({ ...stopped, units: { ...stopped.units, 'nr-ue.service': 'failed' } }, false, { kind: 'missing' })).toEqual(['unit nr-ue.service is failed (want active)']);
    expect(healthProblems({ ...stopped, identity }, false, { kind: 'missing' })).toEqual(['identity is "ok", want "missing" (smoke passed no identity)']);
  });

  it('a malformed value is "invalid", named, and fails an echo', () => {
    const invalid = { ...identity, state: 'invalid' as const, supi: null, invalid: ['vvehicle.ue.supi'] };
    expect(healthProblems({ ...healthy, identity: invalid }, false, echo)).toEqual(['identity is "invalid" (invalid vvehicle.ue.supi), want "ok" for the identity smoke passed']);
  });

  it('parseHealth keeps the identity and refuses an unknown state', () => {
    const line = JSON.stringify({ ...healthy, identity });
    expect(parseHealth(line)).toEqual({ report: { ...healthy, identity } });
    expect(parseHealth(JSON.stringify({ ...healthy, identity: { ...identity, state: 'maybe' } }))).toMatchObject({ problem: expect.stringContaining('identity.state') });
  });
});
