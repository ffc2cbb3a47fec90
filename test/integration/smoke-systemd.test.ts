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
 * Fixture 2: a debootstrap'd arm64 systemd rootfs carrying the rendered layer's runtime files
 * (.network, health unit and script, node_exporter socket/service), booted under TCG.
 */
describe('vvehicle smoke on the systemd fixture with the layer runtime files', () => {
  let image: BootableImage & { layerFiles: string[] };
  beforeAll(async () => {
    image = await systemdImage();
  }, 1_800_000);

  it('passes: networkd IPv4, payload units active, node_exporter and otelcol probes answer through the forwards', async () => {
    const dir = tempDir();
    const before = createHash('sha256').update(readFileSync(image.qcow2)).digest('hex');
    const junit = join(dir, 'smoke.xml');
    const consoleLog = join(dir, 'console.log');
    const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', image.qcow2, '--kernel', image.kernel, '--initrd', image.initrd,
      '--accel', 'tcg', '--memory', '1024', '--json', '--junit', junit, '--console-log', consoleLog]);
    const result = JSON.parse(r.stdout) as SmokeResult;
    expect(result.failure).toBeUndefined();
    expect(r.code).toBe(0);
    expect(image.layerFiles).toContain('recipes-core/vvehicle-health/files/vvehicle-health');
    const log = readFileSync(consoleLog, 'utf8');
    expect(log).toMatch(/Welcome to .*Debian/);
    expect(result.health).toMatchObject({ state: 'running', failed: [], ipv4: '10.0.2.15', connman: false, version: '0.1.0' });
    expect(result.health!.units).toEqual({ 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'active', 'nr-ue.service': 'active' });
    expect(result.probes.map((p) => [p.id, p.status])).toEqual([['node-exporter-metrics', 'pass'], ['otelcol-health', 'pass']]);
    expect(readFileSync(junit, 'utf8')).toContain('tests="6" failures="0" errors="0" skipped="0"');
    expect(createHash('sha256').update(readFileSync(image.qcow2)).digest('hex')).toBe(before);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
  }, 900_000);
});
