import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { qemuChildrenOf } from '../helpers/fixtures/index.js';
import { systemdImage } from '../helpers/fixtures/systemd-image.js';
import type { BootableImage } from '../helpers/fixtures/busybox-image.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import type { SmokeResult } from '../../src/smoke/types.js';

/**
 * Fixture 2: a debootstrap'd arm64 systemd rootfs (Debian bookworm, systemd 252) carrying the rendered
 * layer's runtime files (.network, identity and health units and scripts, payload units), booted under TCG.
 * The identity arrives as on a real vehicle: fw_cfg credentials imported by PID 1, handed to
 * vvehicle-identity.service by LoadCredential=.
 */
async function bootSystemd(image: BootableImage, dir: string, extra: string[] = []) {
  const junit = join(dir, 'smoke.xml');
  const consoleLog = join(dir, 'console.log');
  // under TCG on a loaded 2-core host, udev's coldplug can take longer than the 90 s systemd waits for
  // /dev/ttyAMA0 before giving up on the serial getty (and the login prompt smoke waits for)
  const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', image.qcow2, '--kernel', image.kernel, '--initrd', image.initrd,
    '--accel', 'tcg', '--memory', '1024', '--append', 'systemd.default_device_timeout_sec=900',
    '--json', '--junit', junit, '--console-log', consoleLog, ...extra]);
  return { ...r, result: JSON.parse(r.stdout) as SmokeResult, junit, consoleLog };
}

describe('vvehicle smoke on the systemd fixture with the layer runtime files', () => {
  let image: BootableImage & { layerFiles: string[] };
  beforeAll(async () => {
    image = await systemdImage();
  }, 1_800_000);

  it('passes: identity from fw_cfg echoed, networkd IPv4, payload units active, probes answer (vehicle id as a Prometheus label)', async () => {
    const dir = tempDir();
    const before = createHash('sha256').update(readFileSync(image.qcow2)).digest('hex');
    const { result, junit, consoleLog, ...r } = await bootSystemd(image, dir, ['--credential', 'vvehicle.vehicle-id=veh-042', '--credential', 'vvehicle.hostname=veh-042']);
    expect(result.failure).toBeUndefined();
    expect(r.code).toBe(0);
    expect(image.layerFiles).toContain('recipes-core/vvehicle-health/files/vvehicle-health');
    const log = readFileSync(consoleLog, 'utf8');
    expect(log).toMatch(/Welcome to .*Debian/);
    expect(result.health).toMatchObject({ state: 'running', failed: [], ipv4: '10.0.2.15', connman: false, version: '0.1.0' });
    expect(result.health!.units).toEqual({ 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'active', 'nr-ue.service': 'active' });
    expect(result.health!.identity).toEqual({ state: 'ok', vehicleId: 'veh-042', hostname: 'veh-042', supi: 'imsi-208930000000001', missing: [], invalid: [] });
    expect(log).toContain('vvehicle-identity: vehicle veh-042, host veh-042, subscriber imsi-208930000000001');
    expect(log).toMatch(/^veh-042 login:/m); // the host name from the credential, set before getty
    expect(result.probes.map((p) => [p.id, p.status])).toEqual([['node-exporter-metrics', 'pass'], ['otelcol-health', 'pass']]);
    expect(readFileSync(junit, 'utf8')).toContain('tests="6" failures="0" errors="0" skipped="0"');
    expect(createHash('sha256').update(readFileSync(image.qcow2)).digest('hex')).toBe(before);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
  }, 900_000);

  it('without identity: boots, reports identity missing, nr-ue skipped by its condition (not failed)', async () => {
    const { result, code, consoleLog } = await bootSystemd(image, tempDir(), ['--no-identity']);
    expect(result.failure).toBeUndefined();
    expect(code).toBe(0);
    expect(result.health).toMatchObject({ state: 'running', failed: [] });
    expect(result.health!.units['nr-ue.service']).toBe('inactive');
    expect(result.health!.identity).toMatchObject({ state: 'missing', vehicleId: null, supi: null, invalid: [] });
    expect(readFileSync(consoleLog, 'utf8')).toContain('vvehicle-identity: identity missing: vvehicle.vehicle-id vvehicle.hostname vvehicle.ue.supi vvehicle.ue.key vvehicle.ue.opc (nr-ue is not started)');
  }, 900_000);
});
