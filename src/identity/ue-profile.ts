import { z } from 'zod';

/**
 * What the image's UE (UERANSIM nr-ue) asks the 5G core for: the one truth that the layer's ue.yaml.in,
 * the manifest's `ue` section, `vvehicle fleet plan` and every subscriber export are made from, so that
 * the core grants exactly what each UE requests. The subscriber (SUPI, K, OPc) is not here: it arrives
 * per vehicle at boot (src/identity/credentials.ts), and so may the values `atBoot` names.
 */

export const SESSION_TYPES = ['IPv4', 'IPv6', 'IPv4v6'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

/** A DNN (APN network identifier): dot-separated labels of letters, digits and -, at most 63 characters. */
export const DNN_PATTERN = '[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?';

export const snssaiSchema = z
  .strictObject({
    sst: z.number().int().min(0).max(255).describe('slice/service type'),
    sd: z.string().regex(/^[0-9a-f]{6}$/).optional().describe('slice differentiator, 6 lower-case hex digits (absent: none)'),
  })
  .describe('an S-NSSAI');
export type Snssai = z.infer<typeof snssaiSchema>;

const enabled = z.boolean();

export const ueProfileSchema = z
  .strictObject({
    plmn: z.strictObject({ mcc: z.string().regex(/^[0-9]{3}$/), mnc: z.string().regex(/^[0-9]{2,3}$/) }).describe('the home network the UE registers with'),
    amf: z.string().regex(/^[0-9a-f]{4}$/).describe('the authentication management field the UE computes MAC with: the core must hold the same per subscriber'),
    gnbSearchList: z.array(z.string()).min(1).describe('gNB addresses the UE searches'),
    sessions: z
      .array(z.strictObject({ type: z.enum(SESSION_TYPES), apn: z.string().regex(new RegExp(`^(?:${DNN_PATTERN})$`)).describe('the DNN'), slice: snssaiSchema }))
      .min(1)
      .describe('the PDU sessions the UE establishes at start, in order'),
    configuredNssai: z.array(snssaiSchema).min(1).describe('NSSAI configured by the HPLMN: the slices of the sessions'),
    defaultNssai: z.array(snssaiSchema).min(1).describe('default configured NSSAI: the slices of the sessions'),
    integrity: z.strictObject({ IA1: enabled, IA2: enabled, IA3: enabled }).describe('NAS/AS integrity algorithms the UE supports'),
    ciphering: z.strictObject({ EA1: enabled, EA2: enabled, EA3: enabled }).describe('NAS/AS ciphering algorithms the UE supports'),
    atBoot: z
      .record(z.string(), z.string())
      .describe('credential name -> the value above it replaces when a vehicle is given it at boot (sessions.0.* only on an image with one session)'),
  })
  .describe("what the image's UE asks the 5G core for; the subscriber (SUPI, K, OPc) arrives per vehicle at boot");
export type UeProfile = z.infer<typeof ueProfileSchema>;

/** The UE settings of the configuration (components.ueransim.ue), as the schema reads them. */
export interface UeSettings {
  mcc: string;
  mnc: string;
  amf: string;
  gnbSearchList: string[];
  sessions: { type: SessionType; apn: string; sst: number; sd?: string | undefined }[];
}

/** The credentials that change one session's DNN and slice: only an image with exactly one session takes them. */
export const SESSION_CREDENTIALS = { dnn: 'vvehicle.ue.dnn', sst: 'vvehicle.ue.sst', sd: 'vvehicle.ue.sd' } as const;

export function ueProfile(ue: UeSettings): UeProfile {
  const sessions = ue.sessions.map((s) => ({ type: s.type, apn: s.apn, slice: snssai(s.sst, s.sd) }));
  const slices = distinctSlices(sessions.map((s) => s.slice));
  const oneSession = sessions.length === 1;
  return {
    plmn: { mcc: ue.mcc, mnc: ue.mnc },
    amf: ue.amf.toLowerCase(),
    gnbSearchList: ue.gnbSearchList,
    sessions,
    configuredNssai: slices,
    defaultNssai: slices,
    integrity: { IA1: true, IA2: true, IA3: true },
    ciphering: { EA1: true, EA2: true, EA3: true },
    atBoot: {
      'vvehicle.ue.mcc': 'plmn.mcc',
      'vvehicle.ue.mnc': 'plmn.mnc',
      'vvehicle.ue.gnb-search-list': 'gnbSearchList',
      ...(oneSession ? { [SESSION_CREDENTIALS.dnn]: 'sessions.0.apn', [SESSION_CREDENTIALS.sst]: 'sessions.0.slice.sst', [SESSION_CREDENTIALS.sd]: 'sessions.0.slice.sd' } : {}),
    },
  };
}

export function snssai(sst: number, sd?: string | null): Snssai {
  return sd ? { sst, sd: sd.toLowerCase() } : { sst };
}

export function sameSlice(a: Snssai, b: Snssai): boolean {
  return a.sst === b.sst && a.sd === b.sd;
}

export function distinctSlices(slices: Snssai[]): Snssai[] {
  const out: Snssai[] = [];
  for (const s of slices) if (!out.some((o) => sameSlice(o, s))) out.push(s);
  return out;
}

/** Whether a vehicle's DNN and slice can differ from the image's: the image takes the session credentials. */
export function sessionSetAtBoot(profile: UeProfile): boolean {
  return SESSION_CREDENTIALS.dnn in profile.atBoot;
}
