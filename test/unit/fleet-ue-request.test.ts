import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { fleetUe } from '../../src/fleet/ue-request.js';
import { manifestIdentity } from '../../src/image/manifest.js';
import { ueProfile } from '../../src/identity/ue-profile.js';
import { DEFAULT_UE } from '../helpers/ue.js';

const image = (ue = DEFAULT_UE) => ({ ue, identity: manifestIdentity(ue) });
const twoSessions = ueProfile({
  mcc: '001',
  mnc: '01',
  amf: 'A1B2',
  gnbSearchList: ['127.0.0.1'],
  sessions: [
    { type: 'IPv4', apn: 'internet', sst: 1 },
    { type: 'IPv4v6', apn: 'ims', sst: 2, sd: '0000FF' },
  ],
});

describe("a fleet's UE: the image's, with what a vehicle can be given at boot", () => {
  it("takes every default from the manifest's ue section", () => {
    expect(fleetUe(image(), {})).toEqual({
      mcc: '208',
      mnc: '93',
      amf: '8000',
      gnbSearchList: ['10.100.200.1'],
      sessions: [{ type: 'IPv4', dnn: 'internet', slice: { sst: 1, sd: '010203' } }],
    });
    expect(fleetUe(image(twoSessions), {})).toMatchObject({ amf: 'a1b2', sessions: [{ dnn: 'internet', slice: { sst: 1 } }, { type: 'IPv4v6', dnn: 'ims', slice: { sst: 2, sd: '0000ff' } }] });
  });

  it('sets PLMN, gNBs, DNN and slice of a one-session image (each reaches the UE as a credential)', () => {
    const ue = fleetUe(image(), { mcc: '001', mnc: '001', gnb: ['10.0.0.1', 'gnb.lab'], dnn: 'lab.net', sst: '2', sd: '0A0B0C' });
    expect(ue).toEqual({ mcc: '001', mnc: '001', amf: '8000', gnbSearchList: ['10.0.0.1', 'gnb.lab'], sessions: [{ type: 'IPv4', dnn: 'lab.net', slice: { sst: 2, sd: '0a0b0c' } }] });
    // each option changes its own field only
    expect(fleetUe(image(), { sst: '7' }).sessions).toEqual([{ type: 'IPv4', dnn: 'internet', slice: { sst: 7, sd: '010203' } }]);
  });

  it('refuses what nr-ue refuses, with one message', () => {
    const refused = (o: Parameters<typeof fleetUe>[1]) => {
      try {
        fleetUe(image(), o);
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as UserError).message;
      }
      throw new Error(`accepted ${JSON.stringify(o)}`);
    };
    expect(refused({ mcc: '000' })).toBe('--mcc "000": not a value the image\'s UE takes (mobile country code, 3 digits, not 000 (default: the image config))');
    expect(refused({ mcc: '20' })).toContain('--mcc "20"');
    expect(refused({ mnc: '1' })).toContain('--mnc "1"');
    expect(refused({ sst: '256' })).toContain('--sst "256"');
    expect(refused({ sd: '12345' })).toContain('--sd "12345"');
    expect(refused({ dnn: 'bad_dnn' })).toContain('--dnn "bad_dnn"');
    expect(refused({ gnb: ['a b'] })).toContain('--gnb "a b"');
  });

  it('refuses an AMF field other than the UE computes with: authentication would fail', () => {
    expect(fleetUe(image(), { amf: '8000' }).amf).toBe('8000');
    expect(() => fleetUe(image(), { amf: '9001' })).toThrow(
      "--amf 9001: the image's UE authenticates with AMF field 8000 (manifest ue.amf), and a vehicle cannot be given another at boot; a core holding 9001 would fail every authentication",
    );
  });

  it('refuses another DNN or slice on an image with several sessions (it reads no session credential)', () => {
    expect(manifestIdentity(twoSessions).credentials.map((c) => c.name)).not.toContain('vvehicle.ue.dnn');
    expect(() => fleetUe(image(twoSessions), { dnn: 'lab' })).toThrow(/the image's UE asks for 2 sessions \(internet on SST 1, ims on SST 2 SD 0000ff\)/);
  });

  it('refuses an image that runs no UE', () => {
    expect(() => fleetUe({ ue: null, identity: manifestIdentity(null) }, {})).toThrow(/the image runs no UE/);
  });
});
