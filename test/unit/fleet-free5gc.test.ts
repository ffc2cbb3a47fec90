import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/templates.js';
import { tempDir } from '../helpers/tmp.js';
import { exportContextFor } from '../helpers/ue.js';
import { SUBS_DATA_KEYS, startWebconsoleStandin, type WebconsoleStandin } from '../helpers/webconsole-standin.js';

// Issue 19: free5GC's webconsole takes ONE subscriber per POST /api/subscriber/<supi>/<plmn>, and panics
// (HTTP 500) on one without gpsis. The export is now one body per subscriber plus a script that posts them.

// the export's own context (src/fleet/subscribers.ts): two slices, one without SD, three DNNs, two session types
const context = exportContextFor(
  {
    mcc: '208',
    mnc: '93',
    amf: '8000',
    gnbSearchList: ['127.0.0.1'],
    sessions: [
      { type: 'IPv4', dnn: 'internet', slice: { sst: 1, sd: '010203' } },
      { type: 'IPv4', dnn: 'ims', slice: { sst: 1, sd: '010203' } },
      { type: 'IPv4v6', dnn: 'iot', slice: { sst: 2 } },
    ],
  },
  [1, 2, 3].map((i) => ({ supi: `imsi-20893000000000${i}`, key: `${i}`.repeat(32), opc: `c${i}`.repeat(16) })),
);
const subscribers = context.subscribers;

const bodyOf = (subscriber: (typeof subscribers)[number]) => renderTemplate('fleet/subscribers/free5gc-subscriber.json.hbs', { ...context, subscriber });

const bodies = subscribers.map(bodyOf);
const script = renderTemplate('fleet/subscribers/free5gc.sh.hbs', {
  fleet: 'lab',
  count: 3,
  plmn: '20893',
  subscribers: subscribers.map((s, i) => ({ supi: s.supi, body: bodies[i]! })),
});

/** What these tests read of a body (the whole of it is compared with toEqual). */
interface Body {
  ueId: string;
  plmnID: string;
  AuthenticationSubscription: unknown;
  AccessAndMobilitySubscriptionData: { gpsis?: string[]; nssai: unknown; subscribedUeAmbr: unknown };
  SessionManagementSubscriptionData: { singleNssai: unknown; dnnConfigurations: Record<string, { pduSessionTypes: unknown }> }[];
  SmfSelectionSubscriptionData: unknown;
  AmPolicyData: unknown;
  SmPolicyData: unknown;
  FlowRules: unknown;
  QosFlows: unknown;
  ChargingDatas: unknown;
}

describe('free5gc subscriber body', () => {
  const parsed = bodies.map((b) => JSON.parse(b) as Body);
  const first = parsed[0]!;

  it("has exactly SubsData's top-level keys, for this subscriber", () => {
    for (const [i, body] of parsed.entries()) {
      expect(Object.keys(body).sort()).toEqual([...SUBS_DATA_KEYS].sort());
      expect(body.ueId).toBe(subscribers[i]!.supi);
      expect(body.plmnID).toBe('20893');
    }
  });

  it('carries gpsis, which the handler reads its MSISDN from ("msisdn-" + digits)', () => {
    expect(parsed.map((b) => b.AccessAndMobilitySubscriptionData.gpsis)).toEqual(subscribers.map((s) => [`msisdn-${s.msisdn}`]));
  });

  it('authenticates with K, OPc and the UE AMF field, by 5G-AKA', () => {
    expect(first.AuthenticationSubscription).toEqual({
      authenticationMethod: '5G_AKA',
      permanentKey: { permanentKeyValue: subscribers[0]!.key, encryptionKey: 0, encryptionAlgorithm: 0 },
      sequenceNumber: '000000000023',
      authenticationManagementField: '8000',
      opc: { opcValue: subscribers[0]!.opc, encryptionKey: 0, encryptionAlgorithm: 0 },
    });
  });

  it('subscribes each slice once, keyed as free5GC keys them, with the DNNs asked on it', () => {
    const am = first.AccessAndMobilitySubscriptionData;
    expect(am.nssai).toEqual({ defaultSingleNssais: [{ sst: 1, sd: '010203' }, { sst: 2 }], singleNssais: [] });
    expect(am.subscribedUeAmbr).toEqual({ uplink: '1 Gbps', downlink: '2 Gbps' });
    const sm = first.SessionManagementSubscriptionData;
    expect(sm.map((s) => s.singleNssai)).toEqual([{ sst: 1, sd: '010203' }, { sst: 2 }]);
    expect(sm.map((s) => Object.keys(s.dnnConfigurations))).toEqual([['internet', 'ims'], ['iot']]);
    expect(sm[0]!.dnnConfigurations['internet']).toEqual({
      pduSessionTypes: { defaultSessionType: 'IPV4', allowedSessionTypes: ['IPV4'] },
      sscModes: { defaultSscMode: 'SSC_MODE_1', allowedSscModes: ['SSC_MODE_2', 'SSC_MODE_3'] },
      '5gQosProfile': { '5qi': 9, arp: { priorityLevel: 8, preemptCap: '', preemptVuln: '' }, priorityLevel: 8 },
      sessionAmbr: { uplink: '1000 Mbps', downlink: '1000 Mbps' },
      staticIpAddress: [],
    });
    expect(sm[1]!.dnnConfigurations['iot']!.pduSessionTypes).toEqual({ defaultSessionType: 'IPV4V6', allowedSessionTypes: ['IPV4V6'] });
    expect(first.SmfSelectionSubscriptionData).toEqual({
      subscribedSnssaiInfos: { '01010203': { dnnInfos: [{ dnn: 'internet' }, { dnn: 'ims' }] }, '02': { dnnInfos: [{ dnn: 'iot' }] } },
    });
    expect(first.SmPolicyData).toEqual({
      smPolicySnssaiData: {
        '01010203': { snssai: { sst: 1, sd: '010203' }, smPolicyDnnData: { internet: { dnn: 'internet' }, ims: { dnn: 'ims' } } },
        '02': { snssai: { sst: 2 }, smPolicyDnnData: { iot: { dnn: 'iot' } } },
      },
    });
    expect(first.AmPolicyData).toEqual({ subscCats: ['free5gc'] });
  });

  it('has no flow rules or QoS flows, and one offline slice-level charging entry per slice', () => {
    expect(first.FlowRules).toEqual([]);
    expect(first.QosFlows).toEqual([]);
    expect(first.ChargingDatas).toEqual(
      ['01010203', '02'].map((snssai) => ({ snssai, dnn: '', filter: '', chargingMethod: 'Offline', quota: '100000', unitCost: '1' })),
    );
  });
});

describe('free5gc.sh against a webconsole stand-in', () => {
  let webconsole: WebconsoleStandin;
  let file: string;
  beforeEach(async () => {
    webconsole = await startWebconsoleStandin();
    file = join(tempDir(), 'free5gc.sh');
    writeFileSync(file, script, { mode: 0o600 });
  });
  afterEach(() => webconsole.close());

  const run = (env: Record<string, string> = {}) => execa('sh', [file], { env: { WEBCONSOLE: webconsole.url, ...env }, reject: false });

  it('adds the 3 subscribers, and a second run finds them there', async () => {
    const once = await run();
    expect(once.stderr).toBe('');
    expect(once.exitCode).toBe(0);
    expect(once.stdout).toContain('added 3, already there 0');
    expect([...webconsole.subscribers.keys()]).toEqual(subscribers.map((s) => s.supi));
    expect([...webconsole.subscribers.values()]).toEqual(bodies.map((b) => JSON.parse(b) as unknown));

    const again = await run();
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('added 0, already there 3');
  });

  it('stops at a failed login and says so', async () => {
    const r = await run({ WEBCONSOLE_PASSWORD: 'wrong' });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('login as admin: HTTP 403');
    expect(webconsole.subscribers.size).toBe(0);
  });

  it('keeps keys off command lines: they are only in the here-documents curl reads', () => {
    const outsideBodies = script.replace(/<<'VVEHICLE_SUBSCRIBER'\n[\s\S]*?\nVVEHICLE_SUBSCRIBER\n/g, '');
    for (const s of subscribers) {
      expect(script).toContain(s.key);
      expect(outsideBodies).not.toContain(s.key);
      expect(outsideBodies).not.toContain(s.opc);
    }
    expect(script).toContain('keep it mode 0600');
  });

  it("answers issue 19's bodies as upstream does: an array 400, no gpsis 500, no token 401", async () => {
    const login = await fetch(`${webconsole.url}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'free5gc' }) });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const post = (body: unknown, headers: Record<string, string> = { Token: token }) =>
      fetch(`${webconsole.url}/api/subscriber/imsi-208930000000001/20893`, { method: 'POST', headers, body: JSON.stringify(body) });
    const one = JSON.parse(bodies[0]!) as Body;
    const noGpsis = { ...one, AccessAndMobilitySubscriptionData: { ...one.AccessAndMobilitySubscriptionData, gpsis: undefined } };
    expect((await post([one])).status).toBe(400);
    expect((await post(noGpsis)).status).toBe(500);
    expect((await post(one, {})).status).toBe(401);
    expect(webconsole.subscribers.size).toBe(0);
  });
});
