import { UserError } from '../errors.js';
import type { Manifest } from '../image/manifest-schema.js';
import { SESSION_CREDENTIALS, snssai, type UeProfile } from '../identity/ue-profile.js';
import type { Fleet } from './fleet-file.js';

/** What `fleet plan` was asked to change of the image's UE (absent: the image's own). */
export interface UeOptions {
  mcc?: string | undefined;
  mnc?: string | undefined;
  amf?: string | undefined;
  gnb?: string[] | undefined;
  dnn?: string | undefined;
  sst?: string | undefined;
  sd?: string | undefined;
}

export type FleetUe = Omit<Fleet['subscribers'], 'source'>;

/**
 * What every vehicle's UE of this fleet will ask the 5G core for: the image's UE profile (the manifest's
 * `ue`), with the values a vehicle can be given at boot (a credential the image reads, checked by the
 * image's own pattern) replaced by the options. A value that would differ from what the UE asks, and
 * that no credential carries to it, is refused: provisioning it would make a core that grants nothing.
 */
export function fleetUe(manifest: Pick<Manifest, 'ue' | 'identity'>, options: UeOptions): FleetUe {
  const ue = manifest.ue;
  if (!ue) {
    throw new UserError('the image runs no UE (its manifest says ue: null): there are no subscribers to plan', 'plan the fleet on an image built with components.ueransim.enabled: true');
  }
  const atBoot = (name: string) => manifest.identity.credentials.find((c) => c.name === name);
  /** the option's value, when the image's UE takes it at boot through credential `name` and its pattern */
  const take = (flag: string, value: string | undefined, name: string, imageValue: string | undefined, hint: string): string | undefined => {
    if (value === undefined || value === imageValue) return imageValue;
    const credential = atBoot(name);
    if (!credential) {
      throw new UserError(`${flag} ${value}: the image's UE asks for ${imageValue ?? 'none'} and cannot be given another at boot (the image reads no credential ${name})`, hint);
    }
    if (!new RegExp(`^(?:${credential.pattern})$`).test(value)) {
      throw new UserError(`${flag} "${value}": not a value the image's UE takes (${credential.description})`, hint);
    }
    return value;
  };

  const amf = options.amf?.toLowerCase();
  if (amf !== undefined && amf !== ue.amf) {
    throw new UserError(
      `--amf ${options.amf}: the image's UE authenticates with AMF field ${ue.amf} (manifest ue.amf), and a vehicle cannot be given another at boot; a core holding ${amf} would fail every authentication`,
      `leave --amf out (the fleet takes the image's), or build an image with components.ueransim.ue.amf: '${amf}'`,
    );
  }
  const mcc = take('--mcc', options.mcc, 'vvehicle.ue.mcc', ue.plmn.mcc, 'pass 3 digits, not 000 (nr-ue refuses it: "Field \'mcc\' is too small")')!;
  const mnc = take('--mnc', options.mnc, 'vvehicle.ue.mnc', ue.plmn.mnc, 'pass 2 or 3 digits')!;
  const gnb = options.gnb?.length ? options.gnb.join(',') : undefined;
  const gnbSearchList = take('--gnb', gnb, 'vvehicle.ue.gnb-search-list', ue.gnbSearchList.join(','), 'pass IP addresses or host names')!.split(',');
  return { mcc, mnc, gnbSearchList, amf: ue.amf, sessions: fleetSessions(ue, options, take) };
}

type Take = (flag: string, value: string | undefined, name: string, imageValue: string | undefined, hint: string) => string | undefined;

function fleetSessions(ue: UeProfile, options: UeOptions, take: Take): FleetUe['sessions'] {
  const sessions = ue.sessions.map((s) => ({ type: s.type, dnn: s.apn, slice: s.slice }));
  const asked = options.dnn !== undefined || options.sst !== undefined || options.sd !== undefined;
  if (!asked) return sessions;
  if (sessions.length !== 1) {
    throw new UserError(
      `--dnn/--sst/--sd: the image's UE asks for ${sessions.length} sessions (${sessions.map((s) => `${s.dnn} on SST ${s.slice.sst}${s.slice.sd ? ` SD ${s.slice.sd}` : ''}`).join(', ')}); a vehicle's DNN and slice can be set at boot only on an image with one session`,
      'leave --dnn/--sst/--sd out, or change components.ueransim.ue.sessions and build the image again',
    );
  }
  const s = sessions[0]!;
  const hint = 'a DNN of letters, digits, . and -; an SST of 0 to 255; an SD of 6 hex digits';
  const dnn = take('--dnn', options.dnn, SESSION_CREDENTIALS.dnn, s.dnn, hint)!;
  const sst = take('--sst', options.sst, SESSION_CREDENTIALS.sst, String(s.slice.sst), hint)!;
  const sd = take('--sd', options.sd?.toLowerCase(), SESSION_CREDENTIALS.sd, s.slice.sd, hint);
  return [{ type: s.type, dnn, slice: snssai(Number(sst), sd) }];
}
