import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { requiredUnits } from '../../src/smoke/required-units.js';
import { chooseAccel } from '../../src/host/accel.js';
import { smokeJunitXml } from '../../src/smoke/junit.js';
import type { SmokeResult } from '../../src/smoke/types.js';
import { bootArgs, machineFor, type BootSpec } from '../../src/tools/qemu.js';
import { credentialFwCfg, smokeTestIdentity } from '../../src/smoke/identity.js';
import { tempDir } from '../helpers/tmp.js';

const spec: BootSpec = {
  accel: 'tcg',
  memoryMiB: 2048,
  cpus: 2,
  kernel: '/img/Image',
  disk: '/images/vvehicle,1.qcow2',
  cmdline: 'root=/dev/vda rw console=ttyAMA0',
  forwards: [{ hostPort: 40001, guestPort: 9100 }, { hostPort: 40002, guestPort: 13133 }],
  consoleFile: '/out/smoke.console.log',
};

describe('qemu-system-aarch64 argv', () => {
  it('emulates a cortex-a57 under TCG, direct kernel boot, console into a file, the base read-only under QEMU\'s own overlay, virtio NIC with host forwards on 127.0.0.1', () => {
    expect(bootArgs(spec)).toEqual([
      '-M', 'virt', '-accel', 'tcg', '-cpu', 'cortex-a57', '-smp', '2', '-m', '2048',
      '-display', 'none', '-monitor', 'none', '-chardev', 'file,id=console0,path=/out/smoke.console.log,append=on', '-serial', 'chardev:console0', '-no-reboot',
      '-kernel', '/img/Image', '-append', 'root=/dev/vda rw console=ttyAMA0',
      '-drive', 'if=none,id=disk0,file=/images/vvehicle,,1.qcow2,format=qcow2,snapshot=on', '-device', 'virtio-blk-pci,drive=disk0',
      '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40001-:9100,hostfwd=tcp:127.0.0.1:40002-:13133', '-device', 'virtio-net-pci,netdev=net0,romfile=',
    ]);
  });

  it('passes credentials as fw_cfg items: secrets as 0600 files (never in argv), commas doubled', () => {
    const dir = tempDir();
    const { credentials } = smokeTestIdentity({ mcc: '001', mnc: '01' }, { 'vvehicle.ue.gnb-search-list': '10.0.0.1,10.0.0.2' });
    const args = bootArgs({ ...spec, fwCfg: credentialFwCfg(credentials, dir) });
    const items = args.flatMap((a, i) => (args[i - 1] === '-fw_cfg' ? [a] : []));
    expect(items).toEqual([
      'name=opt/io.systemd.credentials/vvehicle.vehicle-id,string=vvehicle-smoke',
      'name=opt/io.systemd.credentials/vvehicle.hostname,string=vvehicle-smoke',
      'name=opt/io.systemd.credentials/vvehicle.ue.supi,string=imsi-001010000000001',
      `name=opt/io.systemd.credentials/vvehicle.ue.key,file=${join(dir, 'credential-vvehicle.ue.key')}`,
      `name=opt/io.systemd.credentials/vvehicle.ue.opc,file=${join(dir, 'credential-vvehicle.ue.opc')}`,
      'name=opt/io.systemd.credentials/vvehicle.ue.gnb-search-list,string=10.0.0.1,,10.0.0.2',
    ]);
    expect(args.join(' ')).not.toContain(credentials['vvehicle.ue.key']);
    expect(readFileSync(join(dir, 'credential-vvehicle.ue.key'), 'utf8')).toBe(credentials['vvehicle.ue.key']);
    expect(statSync(join(dir, 'credential-vvehicle.ue.opc')).mode & 0o777).toBe(0o600);
    // a fresh K/OPc per run: a throwaway test subscriber
    expect(smokeTestIdentity({ mcc: '001', mnc: '01' }).credentials['vvehicle.ue.key']).not.toBe(credentials['vvehicle.ue.key']);
  });

  it('sends the serial console nowhere when given no console file (doctor\'s paused start)', () => {
    const args = bootArgs({ ...spec, consoleFile: undefined });
    expect(args[args.indexOf('-serial') + 1]).toBe('null');
    expect(args).not.toContain('-chardev');
  });

  it('uses the host CPU and GICv3 under KVM, and passes an initrd when given', () => {
    const args = bootArgs({ ...spec, accel: 'kvm', initrd: '/img/initrd' });
    expect(args.slice(0, 6)).toEqual(['-M', 'virt,gic-version=3', '-accel', 'kvm', '-cpu', 'host']);
    expect(args[args.indexOf('-initrd') + 1]).toBe('/img/initrd');
    expect(bootArgs(spec)).not.toContain('-initrd');
    expect(machineFor('kvm')).toEqual({ machine: 'virt,gic-version=3', cpu: 'host' });
  });

  it('falls back to TCG with the reason when KVM cannot run an aarch64 guest', () => {
    expect(chooseAccel('auto', { arch: 'x64', kvmUsable: true })).toEqual({ accel: 'tcg', reason: 'host is x64, KVM cannot run aarch64 guests' });
    expect(chooseAccel('auto', { arch: 'arm64', kvmUsable: true }).accel).toBe('kvm');
  });
});

describe('required units', () => {
  it('are the core targets, the health and identity units and the enabled payloads of the config', () => {
    const { config } = loadConfig({ cwd: '/nonexistent' });
    expect(requiredUnits(config)).toEqual([
      'vvehicle-health.service', 'vvehicle-identity.service', 'systemd-networkd.service', 'local-fs.target', 'sysinit.target', 'basic.target', 'multi-user.target',
      'node_exporter.socket', 'node_exporter.service', 'otelcol-contrib.service', 'nr-ue.service',
    ]);
    const noUe = { ...config, components: { ...config.components, ueransim: { ...config.components.ueransim, enabled: false } } };
    expect(requiredUnits(noUe)).not.toContain('nr-ue.service');
  });
});

describe('JUnit report', () => {
  it('has one testcase per expectation and probe, failures carrying the message', () => {
    const result: SmokeResult = {
      verdict: 'fail', accel: 'tcg', accelReason: 'requested', cpu: 'cortex-a57', machine: 'virt', memoryMiB: 512, cpus: 2,
      kernel: '/k', disk: '/d.qcow2', cmdline: 'root=/dev/vda rw console=ttyAMA0', startedAt: '2026-11-28T10:00:00.000Z', durationMs: 9000,
      stages: [
        { id: 'kernel', title: 'kernel started', status: 'pass', durationMs: 3000 },
        { id: 'init', title: 'init/systemd started', status: 'pass', durationMs: 6000 },
        { id: 'health', title: 'VVEHICLE-HEALTH line', status: 'fail', durationMs: 9000, message: 'unhealthy: unit nr-ue.service is failed (want active)' },
        { id: 'login', title: 'login prompt', status: 'skipped', durationMs: 0 },
      ],
      probes: [
        { id: 'node-exporter-metrics', status: 'pass', durationMs: 1500, detail: 'GET /metrics on guest answered 200' },
        { id: 'otelcol-health', status: 'skipped', durationMs: 0, detail: 'disabled by smoke.probes.otelcolHealth' },
      ],
      consoleLog: '/c.log',
      failure: { stage: 'health', message: 'unhealthy: unit nr-ue.service is failed (want active)' },
    };
    const xml = smokeJunitXml(result);
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('tests="6" failures="1" errors="0" skipped="2"');
    expect(xml).toContain('<failure message="unhealthy: unit nr-ue.service is failed (want active)"');
    expect(xml).toContain('classname="smoke.probe" name="node-exporter-metrics" time="1.5"');
  });
});
