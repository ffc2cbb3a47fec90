import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { runCli } from '../helpers/cli.js';
import { listTree, tempDir } from '../helpers/tmp.js';
import type { SmokeResult } from '../../src/smoke/types.js';
import { runSmoke } from '../../src/smoke/run-smoke.js';

/** Fixture 1: Debian's arm64 kernel + a busybox rootfs under TCG, verdict in seconds. */
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** smoke's own temp dirs under a TMPDIR private to one test: other test files boot QEMU in parallel. */
const smokeTempDirs = (root: string) => readdirSync(root).filter((d) => d.startsWith('vvehicle-smoke-'));

async function smoke(image: BootableImage, dir: string, extra: string[] = []) {
  const junit = join(dir, 'smoke.xml');
  const consoleLog = join(dir, 'console.log');
  const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', image.qcow2, '--kernel', image.kernel, '--initrd', image.initrd,
    '--accel', 'tcg', '--memory', '512', '--json', '--junit', junit, '--console-log', consoleLog, ...extra]);
  const result = JSON.parse(r.stdout) as SmokeResult;
  return { ...r, result, junit, consoleLog };
}

describe('vvehicle smoke on the busybox fixture', () => {
  let healthy: BootableImage;
  beforeAll(async () => {
    healthy = await busyboxImage('healthy');
  }, 600_000);

  it('passes: kernel, init, health line and login prompt; probes skipped without their units; base unchanged', async () => {
    const dir = tempDir();
    const before = sha256(healthy.qcow2);
    const privateTmp = tempDir();
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    const { code, result, junit, consoleLog, stderr } = await smoke(healthy, dir).finally(() => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(result.verdict).toBe('pass');
    expect(result.accel).toBe('tcg');
    expect(result.cpu).toBe('cortex-a57');
    expect(result.stages.map((s) => [s.id, s.status])).toEqual([['kernel', 'pass'], ['init', 'pass'], ['health', 'pass'], ['login', 'pass']]);
    expect(result.health?.ipv4).toBe('10.0.2.15');
    expect(result.health?.units).toEqual({});
    expect(result.probes.map((p) => [p.id, p.status])).toEqual([['node-exporter-metrics', 'skipped'], ['otelcol-health', 'skipped']]);
    expect(result.probes[0]!.detail).toMatch(/lists no .*node_exporter/);
    expect(result.cmdline).toBe('root=/dev/vda rw console=ttyAMA0');
    // the test identity went in over fw_cfg and came back in the health line (never K or OPc)
    expect(result.health?.identity).toEqual({ state: 'ok', vehicleId: 'vvehicle-smoke', hostname: 'vvehicle-smoke', supi: 'imsi-208930000000001', missing: [], invalid: [] });
    expect(result.identity).toEqual({ kind: 'echo', vehicleId: 'vvehicle-smoke', hostname: 'vvehicle-smoke', supi: 'imsi-208930000000001' });
    const log = readFileSync(consoleLog, 'utf8');
    expect(log).toContain('Booting Linux on physical CPU');
    expect(log).toMatch(/VVEHICLE-HEALTH \{/);
    expect(log).toMatch(/^vvehicle-smoke login:/m);
    expect(log).not.toMatch(/"key"|"opc"/i);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('tests="6" failures="0" errors="0" skipped="2"');
    expect(sha256(healthy.qcow2)).toBe(before);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
    expect(smokeTempDirs(privateTmp)).toEqual([]);
  }, 180_000);

  it('takes its settings from a project file when one is given (the embedded default comes preloaded only without one)', async () => {
    const dir = tempDir();
    const project = join(dir, 'lab.yml');
    writeFileSync(project, "extends: gateway-qemuarm64\ncomponents:\n  ueransim:\n    ue:\n      mcc: '001'\n      mnc: '01'\n");
    const { code, result } = await smoke(healthy, dir, ['-c', project]);
    expect(code).toBe(0);
    // the test subscriber is on the project's home network, and the guest echoed it back
    expect(result.health?.identity?.supi).toBe('imsi-001010000000001');
  }, 180_000);

  it('judges the console also when the console log is no file (--console-log /dev/null): QEMU writes to a temp file then', async () => {
    const dir = tempDir();
    const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', healthy.qcow2, '--kernel', healthy.kernel, '--initrd', healthy.initrd,
      '--accel', 'tcg', '--memory', '512', '--json', '--console-log', '/dev/null']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as SmokeResult).stages.map((st) => st.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  }, 180_000);

  it('without identity (--no-identity) the vehicle boots and says identity missing; smoke passes only then', async () => {
    const dir = tempDir();
    const { code, result } = await smoke(healthy, dir, ['--no-identity']);
    expect(code).toBe(0);
    expect(result.verdict).toBe('pass');
    expect(result.identity).toEqual({ kind: 'missing' });
    expect(result.health?.identity).toEqual({
      state: 'missing', vehicleId: null, hostname: 'vvehicle', supi: null,
      missing: ['vvehicle.vehicle-id', 'vvehicle.hostname', 'vvehicle.ue.supi', 'vvehicle.ue.key', 'vvehicle.ue.opc'], invalid: [],
    });
  }, 180_000);

  it('fails the health stage when the identity does not come back as passed: a malformed SUPI, or a partial identity', async () => {
    const dir = tempDir();
    // a SUPI the image must refuse (a letter in it) reaches the guest through --append's systemd.set_credential=,
    // the path for values that are not secret (smoke itself refuses to pass it); fw_cfg carries the rest
    const bad = await smoke(healthy, join(dir, 'bad'), ['--append', 'systemd.set_credential=vvehicle.ue.supi:imsi-20893000000000x', '--credential', 'vvehicle.ue.supi=', '--credential', 'vvehicle.vehicle-id=bench-07']);
    expect(bad.code).toBe(3);
    expect(bad.result.failure?.stage).toBe('health');
    expect(bad.result.failure?.message).toBe('unhealthy: identity is "invalid" (invalid vvehicle.ue.supi), want "ok" for the identity smoke passed');
    expect(bad.result.health?.identity?.supi).toBeNull();
    expect(bad.result.health?.identity?.vehicleId).toBe('bench-07');
    // without the K it is a partial identity: "missing", and smoke, which passed the rest, fails
    const partial = await smoke(healthy, join(dir, 'partial'), ['--credential', 'vvehicle.ue.key=']);
    expect(partial.code).toBe(3);
    expect(partial.result.failure?.message).toBe('unhealthy: identity is "missing" (missing vvehicle.ue.key), want "ok" for the identity smoke passed');
    expect(partial.result.health?.identity?.supi).toBe('imsi-208930000000001');
    // smoke refuses to pass what the image would refuse, before starting anything
    const refused = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', healthy.qcow2, '--kernel', healthy.kernel, '--credential', 'vvehicle.ue.key=xyz']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--credential vvehicle.ue.key: the value is not valid (subscriber key K, 32 hex digits)');
    expect(refused.stderr).not.toContain('xyz');
  }, 240_000);

  it('plans and starts the probes when the health line arrives, before the login prompt that follows it', async () => {
    const dir = tempDir();
    const progress: string[] = [];
    const result = await runSmoke({
      disk: healthy.qcow2, kernel: healthy.kernel, initrd: healthy.initrd,
      accel: { accel: 'tcg', reason: 'test' }, memoryMiB: 512, cpus: 2,
      timeouts: { kernelSec: 60, initSec: 60, healthSec: 120 }, tcgFactor: 1, allowDegraded: false,
      probes: { nodeExporter: true, otelcolHealth: true }, nodeExporterPort: 9100, requiredUnits: [],
      consoleLog: join(dir, 'console.log'), signal: new AbortController().signal, onProgress: (m) => progress.push(m),
    });
    expect(result.verdict).toBe('pass');
    // this fixture prints its health line, then getty's prompt: the probes were dealt with in between
    const console = readFileSync(join(dir, 'console.log'), 'utf8');
    expect(console.indexOf("VVEHICLE-HEALTH")).toBeLessThan(console.search(/(^|\s)login:/m));
    const firstProbe = progress.findIndex((m) => m.startsWith('probe '));
    expect(firstProbe).toBeGreaterThan(-1);
    expect(firstProbe).toBeLessThan(progress.findIndex((m) => m.startsWith('login prompt')));
    expect(result.probes.map((p) => [p.id, p.status])).toEqual([['node-exporter-metrics', 'skipped'], ['otelcol-health', 'skipped']]);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
  }, 300_000);

  it('refuses bad input with exit 2 before starting anything, and writes nothing', async () => {
    const dir = tempDir();
    const common = ['-w', join(dir, 'work'), '--kernel', healthy.kernel, '--console-log', join(dir, 'logs', 'console.log'), '--junit', join(dir, 'smoke.xml')];
    const raw = await runCli(['smoke', ...common, '--disk', healthy.ext4]);
    expect(raw.code).toBe(2);
    expect(raw.stderr).toMatch(/^error: .*rootfs\.ext4 is not a qcow2 image$/m);
    const missing = await runCli(['smoke', ...common, '--disk', join(dir, 'nope.qcow2')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.qcow2 does not exist');
    const memory = await runCli(['smoke', ...common, '--disk', healthy.qcow2, '--memory', 'lots']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('--memory must be a positive whole number, got "lots"');
    const noImage = await runCli(['smoke', '-w', join(dir, 'work')]);
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain('no image to boot');
    expect(listTree(dir)).toEqual([]);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
  }, 60_000);
});
