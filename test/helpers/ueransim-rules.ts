/**
 * What UERANSIM's nr-ue refuses in its config file (and nr-gnb in its own), so that vvehicle refuses the
 * same values at plan time instead of a vehicle finding out at boot (nr-ue prints `ERROR: <message>`, exits
 * 1, and systemd restarts it in a loop). Our own summary of the readers of the pinned UERANSIM v3.3.0,
 * commit 6bf5a1a9; every rule cites the file:line there that applies it:
 *   - src/ue.cpp ReadConfigYaml (lines 103-256), src/gnb.cpp ReadConfigYaml (lines 37-99);
 *   - src/utils/yaml_utils.cpp: the helpers they call. Messages are `Field '<name>' <error>.` (34-37); a
 *     field is missing when absent or null (39-48); numbers are "too small"/"too big" (62-70), text
 *     lengths "too small"/"too large" (104-113); a value that is no number/bool "has invalid type".
 * Checked against the real binaries built from that commit (the real-check script of issue 19, kept outside
 * the repository: it builds upstream code).
 */

export const UERANSIM_VERSION = 'v3.3.0';
export const UERANSIM_COMMIT = '6bf5a1a96aaef6ae8778b9d8b477ac6e2bbf8156';

type IntRule = { readonly min: number; readonly max: number };
type LengthRule = { readonly minLength: number; readonly maxLength: number };

export const UE_RULES = {
  /** ue.cpp:108-109: a number 1..999 (so '000' is "too small") and, as text, exactly 3 characters */
  mcc: { min: 1, max: 999, minLength: 3, maxLength: 3 },
  /** ue.cpp:110-111: a number 0..999 and, as text, 2 or 3 characters (3 make it a 3-digit MNC) */
  mnc: { min: 0, max: 999, minLength: 2, maxLength: 3 },
  /** ue.cpp:151-152 (optional) -> utils/common_types.cpp:17-30: `imsi-` then 4 to 15 decimal digits */
  supi: { prefix: 'imsi-', minDigits: 4, maxDigits: 15 },
  /** ue.cpp:142-144: exactly this many characters, then hex digits (utils/common.cpp:113-127) */
  key: { hexLength: 32 },
  op: { hexLength: 32 },
  amf: { hexLength: 4 },
  /** ue.cpp:182-188: required, exactly one of these */
  opTypes: ['OP', 'OPC'],
  /** ue.cpp:159-162 (optional): the length only, the characters are not checked */
  imei: { minLength: 15, maxLength: 15 },
  imeiSv: { minLength: 16, maxLength: 16 },
  /** ue.cpp:112-113 (optional; nas/mm/identity.cpp:99-106 sends '0000' without it) */
  routingIndicator: { minLength: 1, maxLength: 4 },
  /** ue.cpp:153-154 (optional): 0..255 is read, but only 0 (null scheme) and 1 (profile A) are implemented (nas/mm/identity.cpp:107-123) */
  protectionScheme: { min: 0, max: 255, implemented: [0, 1] },
  /** ue.cpp:155-158 (optional): for protection scheme 1 */
  homeNetworkPublicKeyId: { min: 0, max: 255 },
  homeNetworkPublicKey: { hexLength: 64 },
  /** ue.cpp:163-170 (optional) */
  tunName: { minLength: 1, maxLength: 12 },
  tunNetmask: { minLength: 9, maxLength: 15 },
  nsNamePrefix: { minLength: 1, maxLength: 64 },
  /** every slice: default-nssai (ue.cpp:123-125), configured-nssai (135-137), a session's slice (202-204); sd optional */
  sst: { min: 0, max: 0xff },
  sd: { min: 0, max: 0xffffff },
  /** ue.cpp:207-219: a session's type, required, exactly one of these */
  sessionTypes: ['IPv4', 'IPv6', 'IPv4v6', 'Ethernet', 'Unstructured'],
  /** ue.cpp:196-197: a session's apn is optional and any text: nr-ue sets no limit */
  apn: {},
  /** ue.cpp:229-234: integrityMaxRate.uplink and .downlink, each one of these */
  integrityMaxRates: ['full', '64kbps'],
  /** ue.cpp:247: uacAcc.normalClass */
  normalClass: { min: 0, max: 9 },
} as const;

/** ue.cpp: the top-level keys nr-ue cannot start without, and the keys it requires inside them. */
export const UE_REQUIRED = {
  mcc: [], // 108
  mnc: [], // 110
  gnbSearchList: [], // 115: a sequence (its entries are not checked until the UE starts, see gnbSearchList below)
  key: [], // 142
  op: [], // 143
  amf: [], // 144
  integrity: ['IA1', 'IA2', 'IA3'], // 172, 175-177
  ciphering: ['EA1', 'EA2', 'EA3'], // 173, 178-180
  opType: [], // 182
  integrityMaxRate: ['uplink', 'downlink'], // 227-230
  uacAic: ['mps', 'mcs'], // 239-242
  uacAcc: ['normalClass', 'class11', 'class12', 'class13', 'class14', 'class15'], // 245-252
} as const;

/** ue.cpp: what nr-ue reads only when present (sessions' entries then need `type`, a slice then needs `sst`). */
export const UE_OPTIONAL = [
  'routingIndicator', 'default-nssai', 'configured-nssai', 'supi', 'protectionScheme', 'homeNetworkPublicKeyId',
  'homeNetworkPublicKey', 'imei', 'imeiSv', 'tunName', 'tunNetmask', 'useNamespace', 'nsNamePrefix', 'sessions',
] as const;

/** The yes/no keys: ue.cpp:168, 175-180, 241-242, 248-252. */
export const UE_BOOLEAN_KEYS = ['useNamespace', 'IA1', 'IA2', 'IA3', 'EA1', 'EA2', 'EA3', 'mps', 'mcs', 'class11', 'class12', 'class13', 'class14', 'class15'] as const;

export const GNB_RULES = {
  /** gnb.cpp:42-45: as nr-ue's */
  mcc: UE_RULES.mcc,
  mnc: UE_RULES.mnc,
  /** gnb.cpp:47: the 36-bit NR Cell Identity (a 64-bit read, so a quoted '0x...' is the usual form) */
  nci: { min: 0, max: 0xfffffffff },
  /** gnb.cpp:48: bits of the nci that are the gNB ID (gnb/types.hpp:341-344) */
  idLength: { min: 22, max: 32 },
  /** gnb.cpp:49 */
  tac: { min: 0, max: 0xffffff },
  /** gnb.cpp:67: amfConfigs[].port */
  amfPort: { min: 1024, max: 65535 },
  /** gnb.cpp:74-76: slices[] */
  sst: UE_RULES.sst,
  sd: UE_RULES.sd,
  /** gnb.cpp:80-95 (optional; default nr) */
  cellAccessTypes: ['nr', 'nr-leo', 'nr-meo', 'nr-geo', 'nr-othersat'],
} as const;

/** gnb.cpp: every key nr-gnb requires; linkIp, ngapIp, gtpIp and amfConfigs[].address are addresses (yaml_utils.cpp:145-164). */
export const GNB_REQUIRED = {
  mcc: [], // 42
  mnc: [], // 44
  nci: [], // 47
  idLength: [], // 48
  tac: [], // 49
  linkIp: [], // 51
  ngapIp: [], // 52
  gtpIp: [], // 53
  ignoreStreamIds: [], // 58: yes/no
  amfConfigs: ['address', 'port'], // 63-67: a sequence
  slices: ['sst'], // 71-74: a sequence (sd optional, 75-76)
} as const;

/**
 * A number as nr-ue and nr-gnb read it (yaml_utils.cpp:21-32 then yaml-cpp's convert.h:159-171): text of
 * digits only loses its leading zeros and is decimal; anything else is read as C++ streams read an integer
 * with no base set, so `0x...` is hex and a leading 0 octal. Hence an SD written `010203` is the decimal
 * 10203, not 0x010203: vvehicle writes SDs as `0x` + hex (sdScalar). Undefined: "has invalid type".
 */
export function readConfigInt(scalar: string, bits: 32 | 64 = 32): bigint | undefined {
  let value: bigint;
  if (/^[0-9]+$/.test(scalar)) value = BigInt(scalar.replace(/^0+(?=.)/, ''));
  else {
    const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*$/.exec(scalar);
    if (!m) return undefined;
    const digits = m[2]!;
    const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    value = m[1] === '-' ? -magnitude : magnitude;
  }
  const limit = 1n << BigInt(bits - 1);
  return value >= -limit && value < limit ? value : undefined; // out of range: the stream fails
}

/** How vvehicle writes an SD (6 lower-case hex digits) into a UERANSIM config, so that it is read as hex. */
export function sdScalar(sd: string): string {
  return `0x${sd}`;
}

// yaml_utils.cpp:34-37
const fieldError = (name: string, error: string): string => `Field '${name}' ${error}.`;

function intProblem(name: string, scalar: string, rule: IntRule, bits: 32 | 64 = 32): string | undefined {
  const value = readConfigInt(scalar, bits);
  if (value === undefined) return fieldError(name, 'has invalid type');
  if (value < BigInt(rule.min)) return fieldError(name, 'is too small');
  if (value > BigInt(rule.max)) return fieldError(name, 'is too big');
  return undefined;
}

// lengths are C++ std::string lengths: bytes of UTF-8
function lengthProblem(name: string, scalar: string, rule: LengthRule): string | undefined {
  const length = Buffer.byteLength(scalar, 'utf8');
  if (length < rule.minLength) return fieldError(name, 'is too small');
  if (length > rule.maxLength) return fieldError(name, 'is too large');
  return undefined;
}

// an exact length first (ue.cpp:142-144), then utils/common.cpp:118-127
function hexProblem(name: string, scalar: string, hexLength: number): string | undefined {
  return lengthProblem(name, scalar, { minLength: hexLength, maxLength: hexLength }) ?? (/^[0-9A-Fa-f]*$/.test(scalar) ? undefined : 'hex string contains invalid characters');
}

function oneOfProblem(values: readonly string[], scalar: string, message: string): string | undefined {
  return values.includes(scalar) ? undefined : `${message}${scalar}`;
}

/** yaml-cpp's yes/no (convert.cpp:41-71): y/n, yes/no, true/false, on/off, all lower or upper case or Capitalized. */
export function isConfigBool(scalar: string): boolean {
  const lower = scalar.toLowerCase();
  if (!['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off'].includes(lower)) return false;
  const rest = scalar.slice(1);
  return scalar === lower || scalar === scalar.toUpperCase() || (/^[A-Z]/.test(scalar) && (rest === rest.toLowerCase() || rest === rest.toUpperCase()));
}

const IPV4 = /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

type Check = (value: string) => string | undefined;
type UeBooleanKey = (typeof UE_BOOLEAN_KEYS)[number];

const UE_CHECKS: Record<Exclude<UeValueKey, UeBooleanKey>, Check> = {
  mcc: (v: string) => intProblem('mcc', v, UE_RULES.mcc) ?? lengthProblem('mcc', v, UE_RULES.mcc),
  mnc: (v: string) => intProblem('mnc', v, UE_RULES.mnc) ?? lengthProblem('mnc', v, UE_RULES.mnc),
  // utils/common_types.cpp:19-29
  supi: (v: string) => {
    const { prefix, minDigits, maxDigits } = UE_RULES.supi;
    if (!v.startsWith(prefix)) return 'invalid SUPI value';
    const digits = v.slice(prefix.length);
    return digits.length >= minDigits && digits.length <= maxDigits && /^[0-9]*$/.test(digits) ? undefined : 'invalid IMSI value';
  },
  key: (v: string) => hexProblem('key', v, UE_RULES.key.hexLength),
  op: (v: string) => hexProblem('op', v, UE_RULES.op.hexLength),
  amf: (v: string) => hexProblem('amf', v, UE_RULES.amf.hexLength),
  opType: (v: string) => oneOfProblem(UE_RULES.opTypes, v, 'Invalid OP type: '),
  imei: (v: string) => lengthProblem('imei', v, UE_RULES.imei),
  imeiSv: (v: string) => lengthProblem('imeiSv', v, UE_RULES.imeiSv),
  routingIndicator: (v: string) => lengthProblem('routingIndicator', v, UE_RULES.routingIndicator),
  // a scheme nr-ue reads but cannot use fails at registration instead: nas/mm/identity.cpp:122 logs this
  protectionScheme: (v: string) => {
    const problem = intProblem('protectionScheme', v, UE_RULES.protectionScheme);
    if (problem) return problem;
    const scheme = Number(readConfigInt(v));
    return (UE_RULES.protectionScheme.implemented as readonly number[]).includes(scheme) ? undefined : `Protection Scheme ${scheme} not implemented`;
  },
  homeNetworkPublicKeyId: (v: string) => intProblem('homeNetworkPublicKeyId', v, UE_RULES.homeNetworkPublicKeyId),
  homeNetworkPublicKey: (v: string) => hexProblem('homeNetworkPublicKey', v, UE_RULES.homeNetworkPublicKey.hexLength),
  tunName: (v: string) => lengthProblem('tunName', v, UE_RULES.tunName),
  tunNetmask: (v: string) => lengthProblem('tunNetmask', v, UE_RULES.tunNetmask),
  nsNamePrefix: (v: string) => lengthProblem('nsNamePrefix', v, UE_RULES.nsNamePrefix),
  sst: (v: string) => intProblem('sst', v, UE_RULES.sst),
  sd: (v: string) => intProblem('sd', v, UE_RULES.sd),
  sessionType: (v: string) => oneOfProblem(UE_RULES.sessionTypes, v, 'Invalid PDU session type: '),
  'integrityMaxRate.uplink': (v: string) => oneOfProblem(UE_RULES.integrityMaxRates, v, 'Invalid integrity protection maximum uplink data rate: '),
  'integrityMaxRate.downlink': (v: string) => oneOfProblem(UE_RULES.integrityMaxRates, v, 'Invalid integrity protection maximum downlink data rate: '),
  normalClass: (v: string) => intProblem('normalClass', v, UE_RULES.normalClass),
  // ue.cpp:115-116 takes any text; the UE resolves each entry when it starts (ue/rls/udp_task.cpp:37-38 ->
  // utils/network.cpp:72-74) and aborts on one getaddrinfo cannot resolve. At plan time: an IP or a host name.
  gnbSearchList: (v: string) => (IPV4.test(v) || (v.includes(':') && /^[0-9A-Fa-f:.]+$/.test(v)) || HOST_NAME.test(v) ? undefined : `Bad Inet address: ${v}`),
};

export type UeValueKey =
  | 'mcc' | 'mnc' | 'supi' | 'key' | 'op' | 'amf' | 'opType' | 'imei' | 'imeiSv' | 'routingIndicator'
  | 'protectionScheme' | 'homeNetworkPublicKeyId' | 'homeNetworkPublicKey' | 'tunName' | 'tunNetmask' | 'nsNamePrefix'
  | 'sst' | 'sd' | 'sessionType' | 'integrityMaxRate.uplink' | 'integrityMaxRate.downlink' | 'normalClass'
  | 'gnbSearchList' | UeBooleanKey;

/**
 * nr-ue's own complaint about this value of that key (the text after `ERROR: `), or undefined when it takes
 * it. `value` is the YAML scalar as ue.yaml holds it, quotes removed: an SD is `0x010203` (sdScalar), a
 * gnbSearchList entry one address. A few are not refusals at start but failures later, in nr-ue's words:
 * an unresolvable gNB address (the UE aborts as it starts) and an unimplemented protection scheme.
 */
export function ueValueProblem(key: UeValueKey, value: string): string | undefined {
  if (isUeBooleanKey(key)) return isConfigBool(value) ? undefined : fieldError(key, 'has invalid type');
  return UE_CHECKS[key](value);
}

function isUeBooleanKey(key: UeValueKey): key is UeBooleanKey {
  return (UE_BOOLEAN_KEYS as readonly string[]).includes(key);
}

export type GnbValueKey = 'mcc' | 'mnc' | 'nci' | 'idLength' | 'tac' | 'port' | 'sst' | 'sd' | 'cellAccessType';

const GNB_CHECKS: Record<GnbValueKey, Check> = {
  mcc: UE_CHECKS.mcc,
  mnc: UE_CHECKS.mnc,
  nci: (v) => intProblem('nci', v, GNB_RULES.nci, 64),
  idLength: (v) => intProblem('idLength', v, GNB_RULES.idLength),
  tac: (v) => intProblem('tac', v, GNB_RULES.tac),
  port: (v) => intProblem('port', v, GNB_RULES.amfPort),
  sst: UE_CHECKS.sst,
  sd: UE_CHECKS.sd,
  // gnb.cpp:82 then 93-95
  cellAccessType: (v) =>
    lengthProblem('cellAccessType', v, { minLength: 1, maxLength: 16 }) ??
    ((GNB_RULES.cellAccessTypes as readonly string[]).includes(v) ? undefined : `Invalid 'cellAccessType' value '${v}'. Valid values: ${GNB_RULES.cellAccessTypes.join(', ')}`),
};

/** nr-gnb's own complaint about this value of that key (the text after `ERROR: `), or undefined. */
export function gnbValueProblem(key: GnbValueKey, value: string): string | undefined {
  return GNB_CHECKS[key](value);
}

/**
 * nr-ue never compares the SUPI with mcc/mnc: its SUCI sends the SUPI after the first 5 digits (6 with a
 * 3-digit MNC) as the MSIN (nas/mm/identity.cpp:107-111), so a SUPI of another PLMN registers as a wrong
 * subscriber. vvehicle's own check (and wording).
 */
export function supiPlmnProblem(supi: string, mcc: string, mnc: string): string | undefined {
  return supi.startsWith(`imsi-${mcc}${mnc}`) ? undefined : `${supi} does not start with its home network's MCC ${mcc} and MNC ${mnc}: nr-ue would send the wrong MSIN`;
}

/**
 * Whole-value patterns (JavaScript RegExp and POSIX ERE alike, as the identity credentials' patterns) for
 * what vvehicle writes: each a subset of what nr-ue takes, in the one spelling vvehicle uses (digits for
 * mcc/mnc rather than the '0x1' nr-ue would also read as 001; SDs as 6 hex digits written with 0x).
 */
export const UE_VALUE_PATTERNS = {
  mcc: '00[1-9]|0[1-9][0-9]|[1-9][0-9]{2}',
  mnc: '[0-9]{2,3}',
  supi: 'imsi-[0-9]{4,15}',
  key: '[0-9A-Fa-f]{32}',
  op: '[0-9A-Fa-f]{32}',
  amf: '[0-9A-Fa-f]{4}',
  imei: '[0-9]{15}',
  routingIndicator: '[0-9]{1,4}',
  sst: '[0-9]{1,2}|[01][0-9]{2}|2[0-4][0-9]|25[0-5]',
  sd: '[0-9a-f]{6}',
} as const;
