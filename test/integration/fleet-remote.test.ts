import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VehicleStatus } from '../../src/fleet/status.js';
import { runCli } from '../helpers/cli.js';
import { command } from '../helpers/fixtures/command.js';
import { busyboxImage } from '../helpers/fixtures/index.js';
import { ensureLibvirt, TEST_URI } from '../helpers/libvirt.js';
import { publishFixture, type PublishedFixture } from '../helpers/published-image.js';
import { pathWithOnly } from '../helpers/qemu-wrappers.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A fleet on a remote libvirt URI, for real: this machine's libvirtd reached as another server through
 * qemu+ssh:// and a real sshd of the test's own. The fleet CLI runs with a PATH that has virsh and no
 * qemu-img: the overlays, credentials and consoles of remote vehicles are made and read by libvirt on
 * that host (storage pools), the published base found there at the same path and hashed there first.
 */
describe('vvehicle fleet on a qemu+ssh:// URI', () => {
  let published: PublishedFixture;
  let root: string;
  let sshd: Sshd;
  beforeAll(async () => {
    const [image] = await Promise.all([busyboxImage('healthy'), ensureLibvirt()]);
    root = mkdtempSync(join(tmpdir(), 'vvehicle-fleet-remote-'));
    published = await publishFixture(root, image);
    sshd = await startSshd();
  }, 900_000);
  afterAll(async () => {
    await sshd?.stop();
    // a safety net for a failed run: this test's own pools (by their unique prefix)
    const leftover = await command('virsh', ['-q', '-c', TEST_URI, 'pool-list', '--all', '--name']).catch(() => '');
    for (const pool of leftover.split('\n').map((l) => l.trim()).filter((p) => p.startsWith('vvehicle-frmt-'))) {
      await command('virsh', ['-q', '-c', TEST_URI, 'pool-destroy', pool]).catch(() => undefined);
      await command('virsh', ['-q', '-c', TEST_URI, 'pool-undefine', pool]).catch(() => undefined);
    }
    if (published) {
      // the transient view `up` put over the published version dir on that host (shared by fleets that boot it)
      const pools = await command('virsh', ['-q', '-c', TEST_URI, 'pool-list', '--name']).catch(() => '');
      for (const pool of pools.split('\n').map((l) => l.trim()).filter((p) => p.startsWith('vvehicle-base-'))) {
        const xml = await command('virsh', ['-q', '-c', TEST_URI, 'pool-dumpxml', pool]).catch(() => '');
        if (xml.includes(`<path>${published.versionDir}</path>`)) await command('virsh', ['-q', '-c', TEST_URI, 'pool-destroy', pool]).catch(() => undefined);
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const withPath = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      return await fn();
    } finally {
      process.env.PATH = saved;
    }
  };
  const pools = async () => (await command('virsh', ['-q', '-c', TEST_URI, 'pool-list', '--all', '--name'])).split('\n').map((l) => l.trim()).filter((p) => p.startsWith('vvehicle-frmt-'));
  const domains = async () => (await command('virsh', ['-q', '-c', TEST_URI, 'list', '--all', '--name'])).split('\n').map((l) => l.trim()).filter((p) => p.startsWith('vvehicle-frmt-'));

  it('doctor --connect answers through ssh', async () => {
    const r = await runCli(['doctor', '--json', '--connect', sshd.uri]);
    const checks = (JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.name === 'libvirt connection')).toMatchObject({ status: 'ok' });
    expect(checks.find((c) => c.name === 'libvirt connection')!.detail).toMatch(/^qemu\+ssh:\/\/root@127\.0\.0\.1:\d+\/system\?.*: libvirt \d+\.\d+\.\d+/);
  }, 120_000);

  it('boots two vehicles there without a local qemu-img, each with its identity; down removes the pools and is idempotent', async () => {
    const dir = join(root, 'fleet');
    const remoteDir = join(root, 'on-the-host');
    const baseSha = sha256(published.disk);
    const onlyVirsh = `${pathWithOnly(mkdtempSync(join(root, 'bin-')), ['virsh'])}`;
    const plan = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '2', '--name', 'frmt',
      '--host', `${sshd.uri},cores=2,dir=${remoteDir}`, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1']);
    expect(plan.code, plan.stderr).toBe(0);
    try {
      const up = await withPath(onlyVirsh, () => runCli(['fleet', 'up', '--dir', dir]));
      expect(up.code, up.stderr).toBe(0);
      expect((await domains()).sort()).toEqual(['vvehicle-frmt-001', 'vvehicle-frmt-002']);
      expect((await pools()).sort()).toEqual(['vvehicle-frmt-001', 'vvehicle-frmt-002']);
      // libvirt made each overlay there, on the published base at the same path
      for (const id of ['frmt-001', 'frmt-002']) {
        const info = JSON.parse(await command('qemu-img', ['info', '--output=json', '-U', join(remoteDir, id, 'disk.qcow2')])) as Record<string, string>;
        expect(info['backing-filename']).toBe(published.disk);
        expect(info['backing-filename-format']).toBe('qcow2');
      }
      expect(existsSync(join(dir, 'disks')) ? readdirSync(join(dir, 'disks')) : []).toEqual([]); // no disk made here

      const status = await withPath(onlyVirsh, () => runCli(['fleet', 'status', '--dir', dir, '--wait', '420', '--json']));
      const vehicles = (JSON.parse(status.stdout) as { vehicles: VehicleStatus[] }).vehicles;
      expect(status.code, vehicles.map((v) => `${v.id}: ${v.verdict} ${v.problems.join('; ')}`).join('\n')).toBe(0);
      for (const v of vehicles) {
        expect(v.state).toBe('running');
        expect(v.identity?.vehicleId).toBe(v.id);
        expect(v.host).toBe(sshd.uri);
        // its console was read there and copied here
        expect(readFileSync(v.consoleLog, 'utf8')).toContain('VVEHICLE-HEALTH');
        // user-mode networking there: a forward would open on that host, not here; each probe says why it did not run
        expect(v.probes.map((p) => p.status)).toEqual(['skipped', 'skipped']);
        expect(v.probes[0]!.detail).toMatch(/^(user-mode networking without a recorded host forward|the health line lists no)/);
      }
    } finally {
      const down = await withPath(onlyVirsh, () => runCli(['fleet', 'down', '--dir', dir]));
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await domains()).toEqual([]);
    expect(await pools()).toEqual([]);
    expect(existsSync(join(remoteDir, 'frmt-001'))).toBe(false);
    expect(sha256(published.disk)).toBe(baseSha);
    const again = await withPath(onlyVirsh, () => runCli(['fleet', 'down', '--dir', dir]));
    expect(again.code, again.stderr).toBe(0);
  }, 900_000);
});
