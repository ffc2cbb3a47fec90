import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseHostSpec } from '../../src/commands/fleet.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFleet } from '../../src/fleet/fleet-file.js';
import { tempDir } from '../helpers/tmp.js';
import { planFleet, type PlanInput } from '../../src/fleet/plan.js';

let counter = 0;
function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    name: 'lab',
    count: 3,
    image: { manifest: '/pub/vvehicle-gateway/0.1.0/manifest.json', name: 'vvehicle-gateway', version: '0.1.0', buildId: 'b1', diskSha256: 'a'.repeat(64) },
    ue: { mcc: '001', mnc: '01', gnbSearchList: ['10.0.0.1'], amf: '8000', sessions: [{ type: 'IPv4', dnn: 'internet', slice: { sst: 1 } }] },
    memoryMiB: 512,
    vcpus: 1,
    cpuPinning: 'strict',
    network: { type: 'user' },
    hosts: [{ uri: 'qemu:///system', cores: 8, reserved: [0] }],
    newSecret: () => (++counter).toString(16).padStart(32, '0'),
    ...over,
  };
}

describe('fleet plan', () => {
  it('is deterministic: the same inputs give the same fleet file', () => {
    const a = planFleet(input());
    const b = planFleet(input({ previous: a.secrets }));
    expect(JSON.stringify(b.fleet)).toBe(JSON.stringify(a.fleet));
    expect(b.secrets).toEqual(a.secrets); // kept, not regenerated
    expect(b.generated).toBe(0);
    expect(a.generated).toBe(3);
  });

  it('gives each vehicle an id, hostname, SUPI from the base IMSI and a locally administered unicast MAC', () => {
    const { fleet } = planFleet(input({ baseImsi: '001010000000042' }));
    expect(fleet.vehicles.map((v) => [v.id, v.hostname, v.domain, v.supi])).toEqual([
      ['lab-001', 'lab-001', 'vvehicle-lab-001', 'imsi-001010000000042'],
      ['lab-002', 'lab-002', 'vvehicle-lab-002', 'imsi-001010000000043'],
      ['lab-003', 'lab-003', 'vvehicle-lab-003', 'imsi-001010000000044'],
    ]);
    for (const v of fleet.vehicles) {
      const first = parseInt(v.mac.slice(0, 2), 16);
      expect(first & 0x02).toBe(0x02);
      expect(first & 0x01).toBe(0);
    }
    expect(new Set(fleet.vehicles.map((v) => v.mac)).size).toBe(3);
  });

  it('keeps no secret in the fleet file', () => {
    const { fleet, secrets } = planFleet(input());
    const text = JSON.stringify(fleet);
    for (const s of Object.values(secrets.subscribers)) {
      expect(text).not.toContain(s.key);
      expect(text).not.toContain(s.opc);
    }
  });

  it('refuses a count of 0 and a count beyond the IMSI range', () => {
    expect(() => planFleet(input({ count: 0 }))).toThrow(UserError);
    // MCC 001 + MNC 01: a 10-digit MSIN, so 9999999999 is the last
    expect(() => planFleet(input({ count: 2, baseImsi: '001019999999999' }))).toThrow(/at most 1 vehicles fit/);
    expect(planFleet(input({ count: 1, baseImsi: '001019999999999' })).fleet.vehicles[0]!.supi).toBe('imsi-001019999999999');
    // a 3-digit MNC leaves 9 digits
    expect(() => planFleet(input({ ue: { ...input().ue, mnc: '001' }, count: 2, baseImsi: '001001999999999' }))).toThrow(UserError);
    expect(() => planFleet(input({ baseImsi: '208930000000001' }))).toThrow(/does not start with MCC 001 \+ MNC 01/);
  });

  it('fills each host up to its capacity with 1:1 pinning on unreserved cores', () => {
    const { fleet } = planFleet(
      input({
        count: 5,
        vcpus: 2,
        hosts: [
          { uri: 'qemu+ssh://arm1/system', cores: 6, reserved: [0, 1] },
          { uri: 'qemu+ssh://arm2/system', cores: 8, reserved: [0] },
        ],
      }),
    );
    expect(fleet.vehicles.map((v) => `${v.host} ${v.cpuset.join(',')}`)).toEqual([
      'qemu+ssh://arm1/system 2,3',
      'qemu+ssh://arm1/system 4,5',
      'qemu+ssh://arm2/system 1,2',
      'qemu+ssh://arm2/system 3,4',
      'qemu+ssh://arm2/system 5,6',
    ]);
    expect(() => planFleet(input({ count: 8, vcpus: 2, hosts: [{ uri: 'qemu:///system', cores: 8, reserved: [0] }] }))).toThrow(/room for 3 with 1:1 pinning/);
  });

  it('with pinning off, overcommits past capacity and says so', () => {
    const { fleet } = planFleet(input({ count: 3, cpuPinning: 'off', hosts: [{ uri: 'qemu:///system', cores: 2, reserved: [] }] }));
    expect(fleet.vehicles.every((v) => v.cpuset.length === 0)).toBe(true);
    expect(fleet.notes.join()).toContain('1 vehicle(s) beyond');
  });

  it('imports subscribers from a CSV, in order, and refuses too few', () => {
    const rows = [
      { supi: 'imsi-001010000000007', key: '1'.repeat(32), opc: '2'.repeat(32) },
      { supi: 'imsi-001010000000009', key: '3'.repeat(32), opc: '4'.repeat(32) },
    ];
    const { fleet, secrets, generated } = planFleet(input({ count: 2, csv: { file: 'subs.csv', rows } }));
    expect(fleet.vehicles.map((v) => v.supi)).toEqual(['imsi-001010000000007', 'imsi-001010000000009']);
    expect(secrets.subscribers['imsi-001010000000009']).toEqual({ key: '3'.repeat(32), opc: '4'.repeat(32) });
    expect(generated).toBe(0);
    expect(fleet.subscribers.source).toEqual({ csv: 'subs.csv' });
    expect(() => planFleet(input({ count: 3, csv: { file: 'subs.csv', rows } }))).toThrow(/holds 2 subscribers/);
  });

  it('parses host specs', () => {
    expect(parseHostSpec('qemu+ssh://arm-server-2/system,cores=80,reserved=0-3,40')).toEqual({ uri: 'qemu+ssh://arm-server-2/system', cores: 80, reserved: [0, 1, 2, 3, 40] });
    expect(parseHostSpec('qemu:///system')).toEqual({ uri: 'qemu:///system' });
    expect(parseHostSpec('qemu+ssh://arm-server-2/system,cores=8,dir=/srv/vv')).toEqual({ uri: 'qemu+ssh://arm-server-2/system', cores: 8, dir: '/srv/vv' });
    expect(() => parseHostSpec('qemu+ssh://arm-server-2/system,dir=relative')).toThrow(/must be an absolute path/);
    expect(() => parseHostSpec('arm1,cores=8')).toThrow(UserError);
    expect(() => parseHostSpec('qemu:///system,threads=2')).toThrow(/unknown setting/);
  });
});

describe('an older fleet file', () => {
  it('is refused with the way out: plan again (it keeps the keys)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ fleetVersion: 1, name: 'lab' }));
    expect(() => readFleet(dir)).toThrow(`${join(dir, 'fleet.json')} was planned by an older vvehicle (fleet version 1): it does not say what the vehicles' UEs ask the 5G core for`);
  });
});
