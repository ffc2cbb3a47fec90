import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { planFleet } from '../../src/fleet/plan.js';
import { judgeVehicle } from '../../src/fleet/status.js';
import { readSubscribersCsv, renderSubscribers } from '../../src/fleet/subscribers.js';
import { tempDir } from '../helpers/tmp.js';

let n = 0;
const { fleet, secrets } = planFleet({
  name: 'lab',
  count: 2,
  image: { manifest: '/m.json', name: 'vvehicle-gateway', version: '0.1.0', buildId: 'b', diskSha256: 'b'.repeat(64) },
  mcc: '208',
  mnc: '93',
  gnbSearchList: ['10.100.200.1'],
  dnn: 'internet',
  sst: 1,
  sd: '010203',
  memoryMiB: 512,
  vcpus: 1,
  cpuPinning: 'off',
  network: { type: 'user' },
  hosts: [{ uri: 'qemu:///system', cores: 2, reserved: [] }],
  newSecret: () => (++n).toString(16).padStart(32, 'a'),
});

describe('fleet subscribers', () => {
  it('free5gc: one webconsole subscriber body per vehicle, with its K and OPc', () => {
    const bodies = JSON.parse(renderSubscribers(fleet, secrets, 'free5gc')) as Record<string, any>[];
    expect(bodies).toHaveLength(2);
    const first = bodies[0]!;
    expect(first.ueId).toBe('imsi-208930000000001');
    expect(first.plmnID).toBe('20893');
    expect(first.AuthenticationSubscription.permanentKey.permanentKeyValue).toBe(secrets.subscribers['imsi-208930000000001']!.key);
    expect(first.AuthenticationSubscription.opc.opcValue).toBe(secrets.subscribers['imsi-208930000000001']!.opc);
    expect(first.SessionManagementSubscriptionData[0].singleNssai).toEqual({ sst: 1, sd: '010203' });
    expect(Object.keys(first.SmfSelectionSubscriptionData.subscribedSnssaiInfos)).toEqual(['01010203']);
  });

  it('open5gs: open5gs-dbctl lines', () => {
    const lines = renderSubscribers(fleet, secrets, 'open5gs').split('\n').filter((l) => l.startsWith('open5gs-dbctl'));
    const s = secrets.subscribers['imsi-208930000000002']!;
    expect(lines[1]).toBe(`open5gs-dbctl add_ue_with_slice 208930000000002 ${s.key} ${s.opc} internet 1 010203`);
  });

  it('csv: what --subscribers imports again', () => {
    const file = join(tempDir(), 'subs.csv');
    writeFileSync(file, renderSubscribers(fleet, secrets, 'csv'));
    expect(readSubscribersCsv(file)).toEqual(fleet.vehicles.map((v) => ({ supi: v.supi, ...secrets.subscribers[v.supi]! })));
  });

  it("ueransim-gnb: the gNB's PLMN, slice and link address, no key", () => {
    const text = renderSubscribers(fleet, undefined, 'ueransim-gnb');
    expect(parseYaml(text)).toEqual({ mcc: '208', mnc: '93', linkIp: '10.100.200.1', slices: [{ sst: 1, sd: 0x010203 }] });
    expect(text).toContain('#   - 10.100.200.1');
  });

  it('a bad CSV names file:line:col', () => {
    const file = join(tempDir(), 'bad.csv');
    writeFileSync(file, 'supi,key,opc\nimsi-001010000000001,xyz,00000000000000000000000000000000\n');
    expect(() => readSubscribersCsv(file)).toThrow(new UserError(`${file}:2:2: key must be 32 hex digits`));
  });
});

describe('fleet status judge', () => {
  const v = fleet.vehicles[0]!;
  const line = (identity: string) => `[  9.1] VVEHICLE-HEALTH {"version":"0.1.0","state":"running","failed":[],"ipv4":"10.0.2.15","units":{},"connman":false${identity}}`;
  const echo = (id: string, state = 'ok') => `,"identity":{"state":"${state}","vehicleId":"${id}","hostname":"${v.hostname}","supi":"${v.supi}","missing":[],"invalid":[]}`;

  it('is healthy when the last health line echoes this vehicle', () => {
    const judged = judgeVehicle(v, 'running', `boot\n${line(echo('lab-002'))}\n${line(echo(v.id))}\nlab-001 login: `);
    expect(judged).toMatchObject({ verdict: 'healthy', problems: [], identity: { vehicleId: v.id, supi: v.supi, hostname: v.hostname } });
  });

  it("names another vehicle's identity and a missing identity", () => {
    const other = judgeVehicle(v, 'running', line(echo('lab-002')));
    expect(other.verdict).toBe('unhealthy');
    expect(other.problems).toEqual([`identity vehicleId is "lab-002", smoke passed "${v.id}"`]);
    expect(judgeVehicle(v, 'running', line(echo(v.id, 'missing'))).problems.join()).toContain('identity is "missing"');
    expect(judgeVehicle(v, 'running', line('')).problems.join()).toContain('reports no identity');
  });

  it('is booting without a health line, down when the domain is not running', () => {
    expect(judgeVehicle(v, 'running', 'Booting Linux on physical CPU 0x0\n').verdict).toBe('booting');
    expect(judgeVehicle(v, 'shut off', line(echo(v.id))).verdict).toBe('down');
  });
});
