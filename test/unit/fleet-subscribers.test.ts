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
  ue: { mcc: '208', mnc: '93', gnbSearchList: ['10.100.200.1'], amf: '8000', sessions: [{ type: 'IPv4', dnn: 'internet', slice: { sst: 1, sd: '010203' } }] },
  memoryMiB: 512,
  vcpus: 1,
  cpuPinning: 'off',
  network: { type: 'user' },
  hosts: [{ uri: 'qemu:///system', cores: 2, reserved: [] }],
  newSecret: () => (++n).toString(16).padStart(32, 'a'),
});

describe('fleet subscribers', () => {
  it('csv: what --subscribers imports again', () => {
    const file = join(tempDir(), 'subs.csv');
    writeFileSync(file, renderSubscribers(fleet, secrets, 'csv'));
    expect(readSubscribersCsv(file)).toEqual(fleet.vehicles.map((v) => ({ supi: v.supi, ...secrets.subscribers[v.supi]! })));
  });

  it("ueransim-gnb: a complete nr-gnb config, the UEs' PLMN and slices, addresses from the defaults or the options, no key", () => {
    const text = renderSubscribers(fleet, undefined, 'ueransim-gnb');
    expect(parseYaml(text)).toEqual({
      mcc: '208', mnc: '93', nci: '0x000000010', idLength: 32, tac: 1,
      linkIp: '10.100.200.1', ngapIp: '10.100.200.1', gtpIp: '10.100.200.1',
      amfConfigs: [{ address: '127.0.0.1', port: 38412 }],
      slices: [{ sst: 1, sd: 0x010203 }],
      ignoreStreamIds: true, cellAccessType: 'nr',
    });
    expect(text).toContain('#   - 10.100.200.1');
    const set = parseYaml(renderSubscribers(fleet, undefined, 'ueransim-gnb', { linkIp: '10.0.0.2', ngapIp: '10.1.0.2', amf: ['10.1.0.18', '10.1.0.19:38413'], tac: '7', nci: '0x000000020' }));
    expect(set).toMatchObject({ linkIp: '10.0.0.2', ngapIp: '10.1.0.2', gtpIp: '10.0.0.2', tac: 7, nci: '0x000000020', amfConfigs: [{ address: '10.1.0.18', port: 38412 }, { address: '10.1.0.19', port: 38413 }] });
    expect(() => renderSubscribers(fleet, undefined, 'ueransim-gnb', { amf: ['10.1.0.18:1023'] })).toThrow(UserError);
    expect(() => renderSubscribers(fleet, undefined, 'ueransim-gnb', { tac: '16777216' })).toThrow(UserError);
    expect(() => renderSubscribers(fleet, undefined, 'ueransim-gnb', { linkIp: 'a b' })).toThrow(UserError);
  });

  it('csv: RFC 4180 as spreadsheets write it: a BOM, CRLF, quoted fields, a comma inside quotes, a comment line', () => {
    const file = join(tempDir(), 'excel.csv');
    const [a, b] = ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'];
    writeFileSync(file, `\ufeff"IMSI","Ki","OPc","note"\r\n# exported 2026-12-08\r\n"208930000000001","${a.toUpperCase()}","${b}","lab, bay 1"\r\n\r\n208930000000002,${b},${a},"said ""hi"""\r\n`);
    expect(readSubscribersCsv(file)).toEqual([
      { supi: 'imsi-208930000000001', key: a, opc: b },
      { supi: 'imsi-208930000000002', key: b, opc: a },
    ]);
  });

  it('csv: a K shared by two subscribers is refused, naming both lines', () => {
    const file = join(tempDir(), 'shared.csv');
    writeFileSync(file, `supi,key,opc\nimsi-208930000000001,${'1'.repeat(32)},${'2'.repeat(32)}\nimsi-208930000000002,${'1'.repeat(32)},${'3'.repeat(32)}\n`);
    expect(() => readSubscribersCsv(file)).toThrow(`${file}:3:2: imsi-208930000000002 has the same K as imsi-208930000000001 (line 2)`);
  });

  it('csv: an unclosed quote is one message with the line', () => {
    const file = join(tempDir(), 'open.csv');
    writeFileSync(file, `supi,key,opc\n"imsi-208930000000001,${'1'.repeat(32)},${'2'.repeat(32)}\n`);
    expect(() => readSubscribersCsv(file)).toThrow(UserError);
    expect(() => readSubscribersCsv(file)).toThrow(new RegExp(`^${file}:\\d+: not a CSV: `));
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
