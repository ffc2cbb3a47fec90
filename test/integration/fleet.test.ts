import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet, FleetSecrets } from '../../src/fleet/fleet-file.js';
import type { VehicleStatus } from '../../src/fleet/status.js';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { runCli } from '../helpers/cli.js';
import { busyboxImage } from '../helpers/fixtures/index.js';
import { domainsNamed, ensureLibvirt, TEST_URI } from '../helpers/libvirt.js';
import { expectCoresGrantWhatUeAsks, provisionFree5gc, provisionOpen5gs } from '../helpers/core-provisioning.js';
import { publishFixture, type PublishedFixture } from '../helpers/published-image.js';
import { bootUeYaml, domainCredentials, type UeYaml } from '../helpers/vehicle-ue.js';

const cli = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'dist', 'cli.js');
/** A TCP connection to 127.0.0.1:port is accepted (QEMU's hostfwd listens there). */
const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * `vvehicle fleet` against real libvirt (qemu:///system, domain type qemu = TCG): three vehicles from
 * one published backing file, made by the real pipeline from the busybox boot fixture. Modest load for
 * a shared 2-core host: 512 MiB and 1 vCPU each, generous timeouts.
 */
describe('vvehicle fleet on libvirt', () => {
  let published: PublishedFixture;
  let root: string;
  beforeAll(async () => {
    const [image] = await Promise.all([busyboxImage('healthy'), ensureLibvirt()]);
    // one published image for every test here (tempDir would remove it after the first test)
    root = mkdtempSync(join(tmpdir(), 'vvehicle-fleet-'));
    published = await publishFixture(root, image);
  }, 900_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('ships the configured initramfs: convert copies it, the manifest boots with it', () => {
    const m = JSON.parse(readFileSync(published.manifest, 'utf8')) as Manifest;
    const initramfs = m.artifacts.find((a) => a.role === 'initramfs');
    expect(initramfs).toMatchObject({ path: 'initrd.cpio.gz', format: 'cpio-archive' });
    expect(m.boot.initrd).toBe('initrd.cpio.gz');
    expect(sha256(join(published.versionDir, 'initrd.cpio.gz'))).toBe(initramfs!.sha256);
    // smoke --from booted without --initrd: the kernel could only mount the disk through the shipped initramfs
    expect(m.smoke?.verdict).toBe('pass');
  });

  it('bad input exits 2 and creates nothing', async () => {
    const dir = join(root, 'bad');
    const plan = (...args: string[]) => runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--host', `${TEST_URI},cores=2`, ...args]);
    for (const args of [
      ['--count', '0'],
      ['--count', '3', '--base-imsi', '001019999999999'],
      ['--count', '100001', '--mcc', '001', '--mnc', '01', '--base-imsi', '001019999900000'],
    ]) {
      const r = await plan(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(existsSync(dir)).toBe(false);
    }
    // what the UE would refuse, or could not be told at boot: one message each
    for (const [args, message] of [
      [['--mcc', '000'], 'error: --mcc "000": not a value the image\'s UE takes (mobile country code, 3 digits, not 000'],
      [['--amf', '9001'], "error: --amf 9001: the image's UE authenticates with AMF field 8000 (manifest ue.amf)"],
      [['--sst', '256'], 'error: --sst "256": not a value the image\'s UE takes'],
      [['--dnn', 'bad_dnn'], 'error: --dnn "bad_dnn": not a value the image\'s UE takes'],
    ] as const) {
      const r = await plan('--count', '1', ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(message);
      expect(existsSync(dir)).toBe(false);
    }
    const unknown = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '1', '--connect', 'bogus:///nowhere']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('cannot connect to libvirt at bogus:///nowhere');
    expect(existsSync(dir)).toBe(false);
    const unpublished = await runCli(['fleet', 'plan', '--dir', dir, '--image', join(published.outDir, 'manifest.json'), '--count', '1', '--host', `${TEST_URI},cores=2`]);
    expect(unpublished.code).toBe(2);
    expect(unpublished.stderr).toContain('is not a published image');
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to boot a base whose sha256 does not match its manifest, creating nothing', async () => {
    const { cpSync, chmodSync, appendFileSync } = await import('node:fs');
    const copyRoot = join(root, 'tampered');
    cpSync(join(root, 'published'), copyRoot, { recursive: true });
    const versionDir = join(copyRoot, 'vvehicle-gateway', '0.1.0');
    chmodSync(versionDir, 0o755);
    chmodSync(join(versionDir, 'vvehicle-gateway-0.1.0.qcow2'), 0o644);
    const dir = join(root, 'tampered-fleet');
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', join(versionDir, 'manifest.json'), '--count', '1', '--host', `${TEST_URI},cores=2`, '--memory', '512', '--vcpus', '1']);
    expect(plan.code, plan.stderr).toBe(0);
    appendFileSync(join(versionDir, 'vvehicle-gateway-0.1.0.qcow2'), 'x');
    const before = readdirSync(dir).sort();
    const up = await runCli(['fleet', 'up', '--dir', dir]);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('does not match the manifest');
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(await domainsNamed('vvehicle-vv-')).toEqual([]);
  });

  it('boots three vehicles from one backing file, each with its own identity; down leaves nothing', async () => {
    const dir = join(root, 'fleet');
    const baseSha = sha256(published.disk);
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '3', '--name', 'fleettest',
      '--host', `${TEST_URI},cores=2`, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1', '--gnb', '10.0.0.1']);
    expect(plan.code, plan.stderr).toBe(0);
    const fleet = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as Fleet;
    const secrets = JSON.parse(readFileSync(join(dir, 'fleet.secrets.json'), 'utf8')) as FleetSecrets;
    expect(statSync(join(dir, 'fleet.secrets.json')).mode & 0o777).toBe(0o600);
    // the image's home network (manifest ue.plmn: 208/93) and session, unless the plan says otherwise
    expect(fleet.vehicles.map((v) => v.supi)).toEqual(['imsi-208930000000001', 'imsi-208930000000002', 'imsi-208930000000003']);
    expect(fleet.subscribers).toMatchObject({ mcc: '208', mnc: '93', amf: '8000', gnbSearchList: ['10.0.0.1'], sessions: [{ type: 'IPv4', dnn: 'internet', slice: { sst: 1, sd: '010203' } }] });
    for (const s of Object.values(secrets.subscribers)) expect(readFileSync(join(dir, 'fleet.json'), 'utf8')).not.toContain(s.key);

    try {
      const up = await runCli(['fleet', 'up', '--dir', dir, '--parallel', '3']);
      expect(up.code, up.stderr).toBe(0);
      expect((await domainsNamed('vvehicle-fleettest-')).sort()).toEqual(fleet.vehicles.map((v) => v.domain));
      // the domain XML carries no key (they travel as 0600 files), and QEMU's command line neither
      for (const v of fleet.vehicles) {
        const xml = readFileSync(join(dir, 'domains', `${v.id}.xml`), 'utf8');
        expect(xml).not.toContain(secrets.subscribers[v.supi]!.key);
        expect(statSync(join(dir, 'credentials', v.id, 'vvehicle.ue.key')).mode & 0o777).toBe(0o600);
      }

      await expectEachUeAsksWhatTheCoresHold(dir, fleet);

      const status = await runCli(['fleet', 'status', '--dir', dir, '--wait', '420', '--json']);
      const vehicles = (JSON.parse(status.stdout) as { vehicles: VehicleStatus[] }).vehicles;
      const consoles = vehicles.map((v) => `${v.id}: ${v.verdict} ${v.problems.join('; ')}`).join('\n');
      expect(status.code, consoles).toBe(0);
      for (const v of fleet.vehicles) {
        const s = vehicles.find((x) => x.id === v.id)!;
        expect(s.state).toBe('running');
        expect(s.identity).toEqual({ vehicleId: v.id, supi: v.supi, hostname: v.hostname });
        // user-mode networking: the probes reach each guest through the host ports `up` chose and recorded
        const ports = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { vehicles: { id: string; probePorts: Record<string, number> }[] }).vehicles.find((e) => e.id === v.id)!.probePorts;
        // (the busybox fixture runs no exporter: each probe says so; fleet-probes.test.ts boots one that does)
        expect(s.probes.map((p) => [p.id, p.status, p.detail])).toEqual([
          ['node-exporter-metrics', 'skipped', 'the health line lists no ^node_exporter(\\.socket|\\.service)?$ unit'],
          ['otelcol-health', 'skipped', 'the health line lists no ^otelcol-contrib(\\.service)?$ unit'],
        ]);
        // …but QEMU listens on each recorded port, forwarding to the guest: a connection is accepted
        for (const port of Object.values(ports)) expect(await connects(port), `127.0.0.1:${port}`).toBe(true);
        expect(readFileSync(s.consoleLog, 'utf8')).not.toContain(secrets.subscribers[v.supi]!.key);
      }
      expect(sha256(published.disk)).toBe(baseSha);
      expect(statSync(published.disk).uid).toBe(0); // libvirt never relabelled the base
    } finally {
      const down = await runCli(['fleet', 'down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await domainsNamed('vvehicle-fleettest-')).toEqual([]);
    expect(existsSync(join(dir, 'disks'))).toBe(false);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
    expect(sha256(published.disk)).toBe(baseSha);
    // idempotent
    const again = await runCli(['fleet', 'down', '--dir', dir]);
    expect(again.code, again.stderr).toBe(0);
  }, 900_000);

  it("another PLMN, DNN and slice reach each UE at boot: its ue.yaml asks exactly what both cores are given", async () => {
    const dir = join(root, 'overrides');
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '3', '--name', 'coretest',
      '--host', `${TEST_URI},cores=2`, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1',
      '--mcc', '001', '--mnc', '01', '--dnn', 'lab.dnn', '--sst', '2', '--sd', '0A0B0C', '--gnb', '127.0.0.1']);
    expect(plan.code, plan.stderr).toBe(0);
    const fleet = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as Fleet;
    expect(fleet.subscribers).toMatchObject({ mcc: '001', mnc: '01', amf: '8000', sessions: [{ type: 'IPv4', dnn: 'lab.dnn', slice: { sst: 2, sd: '0a0b0c' } }] });
    try {
      const up = await runCli(['fleet', 'up', '--dir', dir, '--parallel', '3']);
      expect(up.code, up.stderr).toBe(0);
      const asked = await expectEachUeAsksWhatTheCoresHold(dir, fleet);
      for (const ue of asked) expect(ue.sessions).toEqual([{ type: 'IPv4', apn: 'lab.dnn', slice: { sst: 2, sd: 0x0a0b0c } }]);
    } finally {
      const down = await runCli(['fleet', 'down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
    }
  }, 600_000);

  it('Ctrl-C during up exits 130 and leaves nothing that fleet down cannot clean', async () => {
    const dir = join(root, 'interrupted');
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '4', '--name', 'inttest',
      '--host', `${TEST_URI},cores=2`, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1']);
    expect(plan.code, plan.stderr).toBe(0);
    const child = spawn(process.execPath, [cli, 'fleet', 'up', '--dir', dir, '--parallel', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // one at a time: interrupt once the first domain exists, with the others still to come
      for (let i = 0; i < 600 && !(await domainsNamed('vvehicle-inttest-')).length; i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      expect(existsSync(join(dir, 'state.json'))).toBe(true);
      expect((await domainsNamed('vvehicle-inttest-')).length).toBeLessThan(4);
    } finally {
      child.kill('SIGKILL');
      const down = await runCli(['fleet', 'down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await domainsNamed('vvehicle-inttest-')).toEqual([]);
    expect(existsSync(join(dir, 'disks'))).toBe(false);
    expect(existsSync(join(dir, 'credentials'))).toBe(false);
  }, 300_000);
});

/**
 * Per vehicle: the credentials its libvirt domain carries (`virsh dumpxml`), made into ue.yaml by the layer's
 * identity script as at boot, against what `fleet subscribers` gives free5GC and Open5GS once run.
 */
async function expectEachUeAsksWhatTheCoresHold(dir: string, fleet: Fleet): Promise<UeYaml[]> {
  const exported = async (format: string) => {
    const r = await runCli(['fleet', 'subscribers', '--dir', dir, '--format', format]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const free5gc = await provisionFree5gc(await exported('free5gc'));
  const open5gs = provisionOpen5gs(await exported('open5gs'));
  const asked: UeYaml[] = [];
  for (const v of fleet.vehicles) {
    const { ue } = await bootUeYaml(await domainCredentials(v.domain));
    expect(ue.supi).toBe(v.supi);
    expectCoresGrantWhatUeAsks(ue, free5gc.get(v.supi), open5gs.get(v.supi));
    asked.push(ue);
  }
  return asked;
}
