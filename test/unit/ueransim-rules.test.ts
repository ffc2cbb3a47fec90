import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { credentialValueValid } from '../../src/identity/credentials.js';
import { renderTemplate } from '../../src/templates.js';
import { bootUeYaml } from '../helpers/vehicle-ue.js';
import { GNB_REQUIRED, UE_REQUIRED, UE_VALUE_PATTERNS, gnbValueProblem, isConfigBool, readConfigInt, sdScalar, supiPlmnProblem, ueValueProblem, type UeValueKey } from '../helpers/ueransim-rules.js';

// Expected messages are what the real nr-ue / nr-gnb (v3.3.0, 6bf5a1a9, built by
// the real-check script of issue 19, kept outside the repository) printed after "ERROR: " for a ue.yaml or gnb.yaml holding that value.
const refused: [UeValueKey, string, string][] = [
  ['mcc', '000', "Field 'mcc' is too small."],
  ['mcc', '1', "Field 'mcc' is too small."],
  ['mcc', '1000', "Field 'mcc' is too big."],
  ['mcc', 'abc', "Field 'mcc' has invalid type."],
  ['mcc', '20 8', "Field 'mcc' has invalid type."],
  ['mnc', '1', "Field 'mnc' is too small."],
  ['mnc', '1000', "Field 'mnc' is too big."],
  ['mnc', 'ab', "Field 'mnc' has invalid type."],
  ['supi', 'imsi-123', 'invalid IMSI value'],
  ['supi', 'imsi-1234567890123456', 'invalid IMSI value'],
  ['supi', 'imsi-12a4', 'invalid IMSI value'],
  ['supi', 'nai-1234', 'invalid SUPI value'],
  ['key', '465b5ce8b199b49faa5f0a2ee238a6b', "Field 'key' is too small."],
  ['key', '465b5ce8b199b49faa5f0a2ee238a6bg', 'hex string contains invalid characters'],
  ['op', '', "Field 'op' is too small."],
  ['amf', '800', "Field 'amf' is too small."],
  ['amf', '80zz', 'hex string contains invalid characters'],
  ['opType', 'opc', 'Invalid OP type: opc'],
  ['imei', '35693803564380', "Field 'imei' is too small."],
  ['imeiSv', '437081612581615', "Field 'imeiSv' is too small."],
  ['routingIndicator', '', "Field 'routingIndicator' is too small."],
  ['routingIndicator', '12345', "Field 'routingIndicator' is too large."],
  ['protectionScheme', '256', "Field 'protectionScheme' is too big."],
  ['protectionScheme', '-1', "Field 'protectionScheme' is too small."],
  ['homeNetworkPublicKey', '5a8d', "Field 'homeNetworkPublicKey' is too small."],
  ['tunName', 'abcdefghijklm', "Field 'tunName' is too large."],
  ['nsNamePrefix', '', "Field 'nsNamePrefix' is too small."],
  ['useNamespace', 'maybe', "Field 'useNamespace' has invalid type."],
  ['IA1', '1', "Field 'IA1' has invalid type."],
  ['sst', '256', "Field 'sst' is too big."],
  ['sd', '0x1000000', "Field 'sd' is too big."],
  ['sd', 'abcdef', "Field 'sd' has invalid type."],
  ['sd', '-1', "Field 'sd' is too small."],
  ['sessionType', 'ipv4', 'Invalid PDU session type: ipv4'],
  ['integrityMaxRate.uplink', 'half', 'Invalid integrity protection maximum uplink data rate: half'],
  ['integrityMaxRate.downlink', 'Full', 'Invalid integrity protection maximum downlink data rate: Full'],
  ['normalClass', '10', "Field 'normalClass' is too big."],
];

// ...and values the real nr-ue started with
const taken: [UeValueKey, string][] = [
  ['mcc', '001'], ['mcc', '208'], ['mcc', '0x1'], ['mnc', '00'], ['mnc', '001'], ['mnc', '93'],
  ['supi', 'imsi-1234'], ['supi', 'imsi-208930000000001'], ['key', '465B5CE8B199B49FAA5F0A2EE238A6BC'],
  ['imei', '35693803564380a'], ['routingIndicator', 'abcd'], ['protectionScheme', '0'], ['tunNetmask', '255.255.0'],
  ['sst', '0x1'], ['sd', '0x010203'], ['sd', '010203'], ['sessionType', 'Ethernet'], ['integrityMaxRate.downlink', '64kbps'],
  ['IA1', 'yes'], ['mps', 'Off'], ['gnbSearchList', '127.0.0.1'], ['gnbSearchList', 'gnb.lab.example'],
];

describe("nr-ue's config rules (UERANSIM v3.3.0)", () => {
  it.each(refused)('refuses %s %j with its own words', (key, value, message) => {
    expect(ueValueProblem(key, value)).toBe(message);
  });

  it.each(taken)('takes %s %j', (key, value) => {
    expect(ueValueProblem(key, value)).toBeUndefined();
  });

  it('reads numbers as nr-ue does: digits decimal without leading zeros, 0x hex, otherwise a leading 0 octal', () => {
    expect(readConfigInt('010203')).toBe(10203n); // why an SD must be written with 0x
    expect(readConfigInt(sdScalar('010203'))).toBe(0x010203n);
    expect(readConfigInt('08')).toBe(8n);
    expect(readConfigInt('-012')).toBe(-10n);
    expect(readConfigInt('-08')).toBeUndefined();
    expect(readConfigInt('2147483648')).toBeUndefined();
    expect(readConfigInt('68719476735', 64)).toBe(0xfffffffffn);
  });

  it('reads yes/no as yaml-cpp does', () => {
    for (const v of ['true', 'False', 'YES', 'y', 'N', 'on', 'OFF']) expect(isConfigBool(v)).toBe(true);
    for (const v of ['1', 'tRue', 'maybe', '']) expect(isConfigBool(v)).toBe(false);
  });

  it('flags a protection scheme nr-ue reads but cannot use (it fails at registration)', () => {
    expect(ueValueProblem('protectionScheme', '1')).toBeUndefined();
    expect(ueValueProblem('protectionScheme', '2')).toBe('Protection Scheme 2 not implemented');
  });

  it('flags a gNB address nr-ue aborts on when it starts', () => {
    expect(ueValueProblem('gnbSearchList', 'no such host.invalid')).toBe('Bad Inet address: no such host.invalid');
  });

  it('flags a SUPI of another home network (nr-ue would send the wrong MSIN)', () => {
    expect(supiPlmnProblem('imsi-208930000000001', '208', '93')).toBeUndefined();
    expect(supiPlmnProblem('imsi-001010000000001', '208', '93')).toMatch(/does not start with/);
  });
});

describe("vvehicle's patterns take only what nr-ue takes", () => {
  const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);
  const digits = (length: number) => Array.from({ length: 10 ** length }, (_, i) => String(i).padStart(length, '0'));

  it('mcc: exactly the 3-digit values nr-ue takes (not 000)', () => {
    for (const v of digits(3)) expect(whole(UE_VALUE_PATTERNS.mcc).test(v)).toBe(ueValueProblem('mcc', v) === undefined);
  });

  it('mnc: exactly the 2- and 3-digit values (1 and 4 digits refused by both)', () => {
    for (const v of [...digits(1), ...digits(2), ...digits(3), '1000', '9999']) expect(whole(UE_VALUE_PATTERNS.mnc).test(v)).toBe(ueValueProblem('mnc', v) === undefined);
  });

  it('sst and sd (written with 0x) within nr-ue ranges', () => {
    for (const v of digits(3)) if (whole(UE_VALUE_PATTERNS.sst).test(v)) expect(ueValueProblem('sst', v)).toBeUndefined();
    for (const sd of ['000000', '010203', 'ffffff']) {
      expect(whole(UE_VALUE_PATTERNS.sd).test(sd)).toBe(true);
      expect(ueValueProblem('sd', sdScalar(sd))).toBeUndefined();
    }
  });

  it('the identity credentials the image checks at boot are values nr-ue takes', () => {
    const samples: [string, UeValueKey, string[], (v: string) => string][] = [
      ['vvehicle.ue.mcc', 'mcc', digits(3), (v) => v],
      ['vvehicle.ue.mnc', 'mnc', [...digits(2), '001', '999', '1000'], (v) => v],
      ['vvehicle.ue.supi', 'supi', ['imsi-208930000000001', 'imsi-123456', 'imsi-1234567890123456', 'imsi-12345'], (v) => v],
      ['vvehicle.ue.key', 'key', ['465b5ce8b199b49faa5f0a2ee238a6bc', '465B5CE8B199B49FAA5F0A2EE238A6BC', '465b'], (v) => v],
      ['vvehicle.ue.opc', 'op', ['e8ed289deba952e4283b54e88e6183ca', 'e8ed289deba952e4283b54e88e6183cz'], (v) => v],
      ['vvehicle.ue.sst', 'sst', digits(3), (v) => v],
      ['vvehicle.ue.sd', 'sd', ['010203', 'ffffff', 'FFFFFF', '1234567'], sdScalar],
    ];
    for (const [credential, key, values, written] of samples)
      for (const v of values) if (credentialValueValid(credential, v)) expect(ueValueProblem(key, written(v)), `${credential}=${v}`).toBeUndefined();
  });
});

describe("nr-gnb's config rules and the fleet's gNB config", () => {
  it.each([
    ['nci', '0x1000000000', "Field 'nci' is too big."],
    ['idLength', '21', "Field 'idLength' is too small."],
    ['idLength', '33', "Field 'idLength' is too big."],
    ['tac', '16777216', "Field 'tac' is too big."],
    ['port', '1023', "Field 'port' is too small."],
    ['port', '65536', "Field 'port' is too big."],
    ['mcc', '000', "Field 'mcc' is too small."],
    ['mnc', '9', "Field 'mnc' is too small."],
    ['cellAccessType', 'lte', "Invalid 'cellAccessType' value 'lte'. Valid values: nr, nr-leo, nr-meo, nr-geo, nr-othersat"],
  ] as const)('refuses %s %j with its own words', (key, value, message) => {
    expect(gnbValueProblem(key, value)).toBe(message);
  });

  it.each([['nci', '0xFFFFFFFFF'], ['nci', '16'], ['idLength', '32'], ['tac', '1'], ['port', '38412'], ['cellAccessType', 'nr']] as const)('takes %s %j', (key, value) => {
    expect(gnbValueProblem(key, value)).toBeUndefined();
  });

  const context = (sd: string) => ({
    fleet: 'lab', count: 3, firstSupi: 'imsi-208930000000001', lastSupi: 'imsi-208930000000003', mcc: '208', mnc: '93',
    nssai: [{ sst: 1, sd }],
    gnb: { nci: '0x000000010', idLength: 32, tac: 1, linkIp: '10.100.200.1', ngapIp: '10.100.200.1', gtpIp: '10.100.200.1', amfConfigs: [{ address: '127.0.0.1', port: 38412 }], ignoreStreamIds: true },
    gnbSearchList: ['10.100.200.1'],
  });
  // the failsafe schema keeps every scalar as the text nr-gnb reads
  const rendered = (sd: string) => parse(renderTemplate('fleet/subscribers/ueransim-gnb.yaml.hbs', context(sd)), { schema: 'failsafe' }) as Record<string, unknown>;

  it('holds every key nr-gnb requires, each with a value it takes', () => {
    const gnb = rendered('010203');
    for (const [key, inner] of Object.entries(GNB_REQUIRED)) {
      expect(gnb[key], key).toBeDefined();
      for (const item of inner.length ? (gnb[key] as Record<string, string>[]) : []) for (const k of inner) expect(item[k], `${key}.${k}`).toBeDefined();
    }
    for (const key of ['mcc', 'mnc', 'nci', 'idLength', 'tac'] as const) expect(gnbValueProblem(key, gnb[key] as string), key).toBeUndefined();
    expect(gnb).toMatchObject({ mcc: '208', mnc: '93', nci: '0x000000010', linkIp: '10.100.200.1', ignoreStreamIds: 'true', amfConfigs: [{ address: '127.0.0.1', port: '38412' }] });
    expect(gnb['slices']).toEqual([{ sst: '1', sd: '0x010203' }]);
  });

  it('writes no sd for a slice without one', () => {
    expect(rendered('')['slices']).toEqual([{ sst: '1' }]);
  });
});

describe("the ue.yaml a vehicle boots with (the layer's identity script on its credentials)", () => {
  it('holds every key nr-ue requires, each with a value nr-ue takes, for the image and for a fleet that sets PLMN, DNN and slice', async () => {
    const subscriber = { 'vvehicle.vehicle-id': 'v-1', 'vvehicle.hostname': 'v-1', 'vvehicle.ue.supi': 'imsi-001010000000001', 'vvehicle.ue.key': 'a'.repeat(32), 'vvehicle.ue.opc': 'b'.repeat(32) };
    for (const credentials of [{ ...subscriber, 'vvehicle.ue.supi': 'imsi-208930000000001' }, { ...subscriber, 'vvehicle.ue.mcc': '001', 'vvehicle.ue.mnc': '01', 'vvehicle.ue.dnn': 'lab', 'vvehicle.ue.sst': '255', 'vvehicle.ue.sd': 'ffffff' }]) {
      // the failsafe schema keeps every scalar as the text nr-ue reads
      const ue = parse((await bootUeYaml(credentials)).text, { schema: 'failsafe' }) as Record<string, unknown>;
      for (const [key, inner] of Object.entries(UE_REQUIRED)) {
        expect(ue[key], key).toBeDefined();
        for (const k of inner) expect((ue[key] as Record<string, unknown>)[k], `${key}.${k}`).toBeDefined();
      }
      for (const key of ['mcc', 'mnc', 'supi', 'key', 'op', 'amf'] as const) expect(ueValueProblem(key, ue[key] as string), key).toBeUndefined();
      const slices = [...(ue['sessions'] as { slice: Record<string, string> }[]).map((s) => s.slice), ...(ue['configured-nssai'] as Record<string, string>[]), ...(ue['default-nssai'] as Record<string, string>[])];
      for (const slice of slices) {
        expect(ueValueProblem('sst', slice['sst']!)).toBeUndefined();
        if (slice['sd'] !== undefined) expect(ueValueProblem('sd', slice['sd'])).toBeUndefined();
      }
      expect(supiPlmnProblem(ue['supi'] as string, ue['mcc'] as string, ue['mnc'] as string)).toBeUndefined();
    }
  });
});
