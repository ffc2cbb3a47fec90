import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VehicleStatus } from '../../src/fleet/status.js';
import { runCli } from '../helpers/cli.js';
import { systemdImage } from '../helpers/fixtures/systemd-image.js';
import { domainsNamed, ensureLibvirt, TEST_URI } from '../helpers/libvirt.js';
import { publishFixture, type PublishedFixture } from '../helpers/published-image.js';

/**
 * `fleet status` probes a vehicle under user-mode networking (the default): `up` forwards a free loopback
 * port per probe to the guest, records it in state.json, and status runs smoke's probes through it. The
 * systemd fixture runs the real node_exporter (labelled with the vehicle id from its credentials) and
 * otelcol's health endpoint. One vehicle: a systemd boot under TCG is heavy on a shared 2-core host.
 */
describe('fleet status probes through user-mode networking', () => {
  let published: PublishedFixture;
  let root: string;
  beforeAll(async () => {
    const [image] = await Promise.all([systemdImage(), ensureLibvirt()]);
    root = mkdtempSync(join(tmpdir(), 'vvehicle-fleet-probes-'));
    // under TCG on a loaded host udev's coldplug can outlast systemd's 90 s wait for the console device
    published = await publishFixture(root, image, ['--memory', '1024', '--append', 'systemd.default_device_timeout_sec=900']);
  }, 1_800_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs node_exporter and otelcol probes per vehicle on the host ports up recorded', async () => {
    const dir = join(root, 'fleet');
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '1', '--name', 'fprobe',
      '--host', `${TEST_URI},cores=2`, '--cpu-pinning', 'off', '--memory', '1024', '--vcpus', '1']);
    expect(plan.code, plan.stderr).toBe(0);
    try {
      const up = await runCli(['fleet', 'up', '--dir', dir]);
      expect(up.code, up.stderr).toBe(0);
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { vehicles: { id: string; probePorts: Record<string, number> }[] };
      const ports = state.vehicles[0]!.probePorts;
      expect(Object.keys(ports).sort()).toEqual(['node-exporter-metrics', 'otelcol-health']);

      const status = await runCli(['fleet', 'status', '--dir', dir, '--wait', '1200', '--json']);
      const [v] = (JSON.parse(status.stdout) as { vehicles: VehicleStatus[] }).vehicles;
      expect(status.code, `${v?.verdict}: ${v?.problems.join('; ')}`).toBe(0);
      expect(v!.identity?.vehicleId).toBe('fprobe-001');
      expect(v!.probes.map((p) => [p.id, p.status])).toEqual([['node-exporter-metrics', 'pass'], ['otelcol-health', 'pass']]);
      expect(v!.probes[0]!.detail).toBe(`GET http://127.0.0.1:${ports['node-exporter-metrics']}/metrics answered 200`);
      expect(v!.probes[1]!.detail).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${ports['otelcol-health']}/\\S* answered 200$`));
    } finally {
      const down = await runCli(['fleet', 'down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await domainsNamed('vvehicle-fprobe-')).toEqual([]);
  }, 1_800_000);
});
