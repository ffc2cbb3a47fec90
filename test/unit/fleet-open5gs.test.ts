import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/templates.js';
import { snssai, type SessionType } from '../../src/identity/ue-profile.js';
import { tempDir } from '../helpers/tmp.js';
import { exportContextFor } from '../helpers/ue.js';

// The Open5GS export (issue 19) run for real with sh, against our mongosh stand-in (no MongoDB server in CI):
// it must write what open5gs-dbctl writes, with the UE's slices/DNN/session type and the image's AMF, and run
// again on a core that holds some of the fleet already. The real check of issue 19 (outside the repository) runs upstream dbctl.
const STANDIN = join(import.meta.dirname, '../helpers/mongosh-standin');

type Ejson = null | string | boolean | Ejson[] | { [key: string]: Ejson };
const OID = 'ObjectId';
const int = (n: number): Ejson => ({ $numberInt: String(n) });

/**
 * The document open5gs-dbctl 0.10.3 (open5gs/open5gs misc/db/open5gs-dbctl at 678abdeac, unchanged at
 * 8f25f3bea) inserts with `add_ue_with_slice IMSI K OPC DNN SST SD`, in our words: field names and BSON types
 * as canonical Extended JSON. dbctl always writes session type 3 and AMF '8000' (and `add` no sd at all);
 * those three are parameters here because the export writes what the image asks instead.
 */
function dbctlDocument(o: { imsi: string; k: string; opc: string; dnn: string; sst: number; sd: string; type: number; amf: string }): Ejson {
  const ambr = { downlink: { value: int(1000000000), unit: int(0) }, uplink: { value: int(1000000000), unit: int(0) } };
  return {
    _id: OID, schema_version: int(1), imsi: o.imsi, msisdn: [], imeisv: [], mme_host: [], mm_realm: [], purge_flag: [],
    slice: [{
      sst: int(o.sst), ...(o.sd ? { sd: o.sd } : {}), default_indicator: true,
      session: [{
        name: o.dnn, type: int(o.type),
        qos: { index: int(9), arp: { priority_level: int(8), pre_emption_capability: int(1), pre_emption_vulnerability: int(2) } },
        ambr, pcc_rule: [], _id: OID,
      }],
      _id: OID,
    }],
    security: { k: o.k, op: null, opc: o.opc, amf: o.amf },
    ambr, access_restriction_data: int(32), network_access_mode: int(0), subscriber_status: int(0),
    operator_determined_barring: int(0), subscribed_rau_tau_timer: int(12), __v: int(0),
  };
}

const isObject = (v: Ejson | undefined): v is { [key: string]: Ejson } => typeof v === 'object' && v !== null && !Array.isArray(v);
/** ObjectIds differ from run to run, and Open5GS reads fields by name, not order */
function normalize(v: Ejson): Ejson {
  if (Array.isArray(v)) return v.map(normalize);
  if (!isObject(v)) return v;
  if ('$oid' in v) return OID;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, normalize(v[k]!)]));
}
/** the same document as mongosh JS, to put it in the database as dbctl would */
function shellJs(v: Ejson): string {
  if (v === OID) return 'new ObjectId()';
  if (Array.isArray(v)) return `[${v.map(shellJs).join(', ')}]`;
  if (!isObject(v)) return JSON.stringify(v);
  if ('$numberInt' in v) return `NumberInt(${String(v.$numberInt)})`;
  return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${shellJs(x)}`).join(', ')} }`;
}

const SUBSCRIBERS = [1, 2, 3].map((i) => ({
  supi: `imsi-20893000000000${i}`,
  imsi: `20893000000000${i}`,
  key: `${i}`.repeat(8) + 'a'.repeat(24),
  opc: `${i}`.repeat(8) + 'c'.repeat(24),
}));

interface Session { type: SessionType; dnn: string; sst: number; sd: string }
/** the export's own context (src/fleet/subscribers.ts) for a fleet of SUBSCRIBERS whose UEs ask these sessions */
function context(amf: string, sessions: Session[]) {
  return exportContextFor(
    { mcc: '208', mnc: '93', amf, gnbSearchList: ['127.0.0.1'], sessions: sessions.map((s) => ({ type: s.type, dnn: s.dnn, slice: snssai(s.sst, s.sd) })) },
    SUBSCRIBERS,
  );
}
const DEFAULT = context('8000', [{ type: 'IPv4', dnn: 'internet', sst: 1, sd: '010203' }]);
const OVERRIDE = context('a1b2', [{ type: 'IPv4v6', dnn: 'lab', sst: 2, sd: '' }]);

/** a core: the stand-in's database file, our rendered script and a TMPDIR to see its key file go */
function core() {
  const dir = tempDir('vvehicle-open5gs-');
  const tmp = tempDir('vvehicle-open5gs-tmp-');
  const env = { ...process.env, PATH: `${STANDIN}:${process.env.PATH ?? ''}`, MONGOSH_STANDIN_DB: join(dir, 'db.json'), TMPDIR: tmp };
  const mongosh = (js: string) => spawnSync('mongosh', ['--eval', js, 'mongodb://localhost/open5gs'], { env, encoding: 'utf8' });
  return {
    dbFile: env.MONGOSH_STANDIN_DB,
    mongosh,
    run(ctx: object) {
      const script = join(dir, 'open5gs.sh');
      writeFileSync(script, renderTemplate('fleet/subscribers/open5gs.sh.hbs', ctx), { mode: 0o600 });
      const result = spawnSync('sh', [script], { env, encoding: 'utf8' });
      expect(readdirSync(tmp), 'the key file mongosh read is gone').toEqual([]);
      return result;
    },
    documents(): { [key: string]: Ejson }[] {
      const db = JSON.parse(readFileSync(env.MONGOSH_STANDIN_DB, 'utf8')) as Record<string, { docs: { [key: string]: Ejson }[] }>;
      return db['open5gs.subscribers']?.docs ?? [];
    },
  };
}
const byImsi = (docs: { [key: string]: Ejson }[], imsi: string) => {
  const found = docs.filter((d) => d.imsi === imsi);
  expect(found, `documents of ${imsi}`).toHaveLength(1);
  return found[0]!;
};

describe('open5gs subscriber export', () => {
  it('writes one document per IMSI as dbctl add_ue_with_slice does, and a second run leaves them as they were', () => {
    const c = core();
    const first = c.run(DEFAULT);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('open5gs: fleet lab: added 3, updated 0 subscribers (AMF 8000)\n');
    const docs = c.documents();
    expect(docs).toHaveLength(3);
    for (const s of SUBSCRIBERS) {
      const expected = dbctlDocument({ imsi: s.imsi, k: s.key, opc: s.opc, dnn: 'internet', sst: 1, sd: '010203', type: 1, amf: '8000' });
      expect(normalize(byImsi(docs, s.imsi))).toEqual(normalize(expected));
    }

    const second = c.run(DEFAULT);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe('open5gs: fleet lab: added 0, updated 3 subscribers (AMF 8000)\n');
    const again = c.documents();
    expect(again.map((d) => d._id)).toEqual(docs.map((d) => d._id));
    expect(again.map(normalize)).toEqual(docs.map(normalize));
  });

  it("on a core holding a subscriber already (dbctl's add, SQN advanced): updates it in place, keeps _id and SQN", () => {
    const c = core();
    const [, held] = SUBSCRIBERS;
    const added = dbctlDocument({ imsi: held!.imsi, k: held!.key, opc: held!.opc, dnn: 'internet', sst: 1, sd: '', type: 3, amf: '8000' });
    const seed = c.mongosh(`db.subscribers.insertOne(${shellJs(added)}); db.subscribers.updateOne({ imsi: '${held!.imsi}' }, { $set: { 'security.sqn': NumberLong('4242') } })`);
    expect(seed.status, seed.stderr).toBe(0);
    const heldId = byImsi(c.documents(), held!.imsi)._id;

    for (const [run, summary] of [[1, 'added 2, updated 1'], [2, 'added 0, updated 3']] as const) {
      const result = c.run(OVERRIDE);
      expect(result.status, `run ${run}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toBe(`open5gs: fleet lab: ${summary} subscribers (AMF a1b2)\n`);
      const docs = c.documents();
      expect(docs).toHaveLength(3);
      for (const s of SUBSCRIBERS) {
        const doc = byImsi(docs, s.imsi);
        const expected = dbctlDocument({ imsi: s.imsi, k: s.key, opc: s.opc, dnn: 'lab', sst: 2, sd: '', type: 3, amf: 'a1b2' });
        if (s === held) {
          expect(doc._id).toEqual(heldId);
          expect(doc.security).toEqual({ k: s.key, op: null, opc: s.opc, amf: 'a1b2', sqn: { $numberLong: '4242' } });
          delete (doc.security as { [key: string]: Ejson }).sqn;
        }
        expect(normalize(doc)).toEqual(normalize(expected));
      }
    }
  });

  it('asks one Open5GS slice per S-NSSAI, one session per DNN with the types asked on it OR-ed (IPv4 | IPv6 = 3)', () => {
    const c = core();
    const result = c.run(context('8000', [
      { type: 'IPv4', dnn: 'internet', sst: 1, sd: '010203' },
      { type: 'IPv6', dnn: 'internet', sst: 1, sd: '010203' },
      { type: 'IPv4', dnn: 'lab', sst: 2, sd: '' },
    ]));
    expect(result.status, result.stderr).toBe(0);
    const slice = byImsi(c.documents(), SUBSCRIBERS[0]!.imsi).slice as { [key: string]: Ejson }[];
    const shape = slice.map((s) => ({ sst: s.sst, sd: s.sd, default: s.default_indicator, sessions: (s.session as { [key: string]: Ejson }[]).map((x) => [x.name, x.type]) }));
    expect(shape).toEqual([
      { sst: int(1), sd: '010203', default: true, sessions: [['internet', int(3)]] },
      { sst: int(2), sd: undefined, default: false, sessions: [['lab', int(1)]] },
    ]);
  });

  it('fails, naming the duplicates, on a core without the unique imsi index that holds an IMSI twice', () => {
    const c = core();
    const [held] = SUBSCRIBERS;
    const doc = dbctlDocument({ imsi: held!.imsi, k: held!.key, opc: held!.opc, dnn: 'internet', sst: 1, sd: '', type: 3, amf: '8000' });
    const twice = [{ ...(doc as object), _id: { $oid: 'a'.repeat(24) } }, { ...(doc as object), _id: { $oid: 'b'.repeat(24) } }];
    writeFileSync(c.dbFile, JSON.stringify({ 'open5gs.subscribers': { indexes: [{ name: '_id_', key: { _id: 1 }, unique: true }], docs: twice } }));
    const result = c.run(DEFAULT);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('Error: 4 documents for 3 IMSIs: this core holds duplicates (no unique imsi index); remove them with open5gs-dbctl remove IMSI and run this again\n');
  });

  it('keeps the keys off command lines: mongosh reads them from the 0600 temp file', () => {
    const text = renderTemplate('fleet/subscribers/open5gs.sh.hbs', DEFAULT);
    const mongoshLines = text.split('\n').filter((line) => /^\s*mongosh\b/.test(line));
    expect(mongoshLines).toEqual(['mongosh "$DB_URI" --quiet --file "$js"']);
    expect(text).toContain('umask 077');
    expect(text).toContain('DB_URI="${DB_URI:-mongodb://localhost/open5gs}"');
  });

  it("the stand-in refuses a second insert of an IMSI, as MongoDB under the WebUI's unique imsi index does", () => {
    const c = core();
    const doc = shellJs(dbctlDocument({ imsi: '208930000000009', k: 'a'.repeat(32), opc: 'c'.repeat(32), dnn: 'internet', sst: 1, sd: '', type: 3, amf: '8000' }));
    expect(c.mongosh(`db.subscribers.insertOne(${doc})`).status).toBe(0);
    const again = c.mongosh(`db.subscribers.insertOne(${doc})`);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('MongoServerError: E11000 duplicate key error collection: open5gs.subscribers index: imsi_1 dup key: { imsi: "208930000000009" }\n');
    expect(c.documents()).toHaveLength(1);
  });
});
