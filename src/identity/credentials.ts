import { DNN_PATTERN, SESSION_CREDENTIALS, sessionSetAtBoot, type UeProfile } from './ue-profile.js';

/**
 * The per-vehicle identity an image accepts at boot, as systemd system credentials
 * (QEMU `-fw_cfg name=opt/io.systemd.credentials/<name>,…`, libvirt `<sysinfo type='fwcfg'>`, or
 * `systemd.set_credential=<name>:<value>` on the kernel command line for values that are not secret).
 *
 * This list is the contract between the image (the layer's identity unit reads these names), smoke
 * (passes a test identity), the manifest (lists what an image accepts) and `vvehicle fleet` (sets them
 * per vehicle). The golden image holds none of these values: it is the same for every vehicle.
 */
export interface IdentityCredential {
  /** The credential name, as systemd sees it ($CREDENTIALS_DIRECTORY/<name>). */
  name: string;
  /** Without it the vehicle boots, but nr-ue is not started and the health line says identity is missing. */
  required: boolean;
  /** Secrets go only through fw_cfg (never the kernel command line, which any process can read). */
  secret: boolean;
  description: string;
  /**
   * What a valid value looks like, matched against the whole value. Written so that it means the same
   * as a JavaScript RegExp and as a POSIX extended regular expression (`grep -Ex`): the manifest lists it,
   * fleet tools and smoke check the values they pass with it; the image checks the same with `shell`.
   */
  pattern: string;
  /** The same check as `pattern`, as the image's shell makes it (see ShellCheck). */
  shell: ShellCheck;
}

/**
 * `pattern`'s check in the terms of the identity script's shell function `fits`, which needs no process
 * (a grep per boot cost ~40 ms under TCG): the value, after `prefix`, is `min` to `max` (none: any number)
 * characters from `chars`, its first one from `first` and its last from `last`; with `separator`, no item
 * between separators is empty. Characters are listed, never ranges: a range in a shell pattern follows the
 * locale's collation; with `minValue`/`maxValue`, the value as a decimal number is within them (test(1)'s
 * -ge/-le, decimal under dash and busybox ash alike). A test holds each equal to `pattern` on many values,
 * under dash and busybox ash.
 */
export interface ShellCheck {
  prefix: string;
  min: number;
  max?: number;
  chars: string;
  first: string;
  last: string;
  separator?: string;
  /** the value, a decimal number, is at least / at most this (a range the characters cannot say) */
  minValue?: number;
  maxValue?: number;
}

const DIGITS = '0123456789';
const ALNUM = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz${DIGITS}`;
const HEX = `${DIGITS}ABCDEFabcdef`;
/** every character from `chars`, first and last alike (a `-` goes last: it is literal there in a bracket expression) */
const anyOf = (chars: string, min: number, max?: number, more: Partial<ShellCheck> = {}): ShellCheck => ({ prefix: '', min, ...(max !== undefined ? { max } : {}), chars, first: chars, last: chars, ...more });

export const FW_CFG_CREDENTIAL_PREFIX = 'opt/io.systemd.credentials/';

export const IDENTITY_CREDENTIALS: readonly IdentityCredential[] = [
  { name: 'vvehicle.vehicle-id', required: true, secret: false, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,62}', shell: anyOf(`${ALNUM}._-`, 1, 63, { first: ALNUM }), description: 'vehicle id: OpenTelemetry resource attribute vehicle.id and Prometheus label vehicle_id (letters, digits, . _ -; at most 63)' },
  { name: 'vvehicle.hostname', required: true, secret: false, pattern: '[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?', shell: anyOf(`${ALNUM}.-`, 1, 63, { first: ALNUM, last: ALNUM }), description: 'the vehicle host name (host.name in telemetry; letters, digits, . -; at most 63)' },
  { name: 'vvehicle.ue.supi', required: true, secret: false, pattern: 'imsi-[0-9]{6,15}', shell: anyOf(DIGITS, 6, 15, { prefix: 'imsi-' }), description: 'the UE subscriber id, imsi- followed by 6 to 15 digits' },
  { name: 'vvehicle.ue.key', required: true, secret: true, pattern: '[0-9A-Fa-f]{32}', shell: anyOf(HEX, 32, 32), description: 'subscriber key K, 32 hex digits' },
  { name: 'vvehicle.ue.opc', required: true, secret: true, pattern: '[0-9A-Fa-f]{32}', shell: anyOf(HEX, 32, 32), description: 'operator key OPc, 32 hex digits' },
  // nr-ue reads mcc as a number of at least 1 ("Field 'mcc' is too small" for 000, then restarts in a loop)
  { name: 'vvehicle.ue.mcc', required: false, secret: false, pattern: '00[1-9]|0[1-9][0-9]|[1-9][0-9]{2}', shell: anyOf(DIGITS, 3, 3, { minValue: 1 }), description: 'mobile country code, 3 digits, not 000 (default: the image config)' },
  { name: 'vvehicle.ue.mnc', required: false, secret: false, pattern: '[0-9]{2,3}', shell: anyOf(DIGITS, 2, 3), description: 'mobile network code, 2 or 3 digits (default: the image config)' },
  { name: 'vvehicle.ue.gnb-search-list', required: false, secret: false, pattern: '[A-Za-z0-9.:-]+(,[A-Za-z0-9.:-]+)*', shell: anyOf(`${ALNUM}.:,-`, 1, undefined, { first: `${ALNUM}.:-`, last: `${ALNUM}.:-`, separator: ',' }), description: 'comma-separated gNB addresses (default: the image config)' },
  // the DNN and slice of the UE's one PDU session (an image with several sessions does not take these)
  { name: SESSION_CREDENTIALS.dnn, required: false, secret: false, pattern: DNN_PATTERN, shell: anyOf(`${ALNUM}.-`, 1, 63, { first: ALNUM, last: ALNUM }), description: 'the DNN of the UE session: letters, digits, . -; at most 63 (default: the image config)' },
  { name: SESSION_CREDENTIALS.sst, required: false, secret: false, pattern: '[0-9]{1,2}|[01][0-9]{2}|2[0-4][0-9]|25[0-5]', shell: anyOf(DIGITS, 1, 3, { maxValue: 255 }), description: 'the SST of the UE session slice, 0 to 255 (default: the image config)' },
  { name: SESSION_CREDENTIALS.sd, required: false, secret: false, pattern: '[0-9a-f]{6}', shell: anyOf('0123456789abcdef', 6, 6), description: 'the SD of the UE session slice, 6 lower-case hex digits (default: the image config)' },
];

/**
 * The credentials an image built with this UE profile reads: the session credentials only when it has
 * exactly one session (with several, which one a DNN or slice would replace is not for a vehicle to say).
 */
export function imageCredentials(ue: UeProfile | null): IdentityCredential[] {
  const session = new Set<string>(Object.values(SESSION_CREDENTIALS));
  return IDENTITY_CREDENTIALS.filter((c) => !session.has(c.name) || (ue !== null && sessionSetAtBoot(ue)));
}

/** The credential of that name (a programming error when there is none). */
export function identityCredential(name: string): IdentityCredential {
  const found = IDENTITY_CREDENTIALS.find((c) => c.name === name);
  if (!found) throw new Error(`no identity credential ${name}`);
  return found;
}

/** Whether a value is valid for the credential (the same check the image makes at boot). */
export function credentialValueValid(name: string, value: string): boolean {
  return new RegExp(`^(?:${identityCredential(name).pattern})$`).test(value);
}

/**
 * What the image reports about its identity in the VVEHICLE-HEALTH line (`identity` key), written by
 * the layer's vvehicle-identity unit:
 * - ok: every required credential arrived and every credential that arrived is valid;
 * - missing: no invalid value, but required credentials are absent (a vehicle booted without identity:
 *   nr-ue is not started);
 * - invalid: a credential's value is malformed (nr-ue is not started; never a broken ue.yaml);
 * - unknown: the identity unit did not report (it failed, or the image predates it).
 * vehicleId and supi are null unless valid; hostname is the host name in effect. Never K or OPc.
 */
export const IDENTITY_STATES = ['ok', 'missing', 'invalid', 'unknown'] as const;
export type IdentityState = (typeof IDENTITY_STATES)[number];
