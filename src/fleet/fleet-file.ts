import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { SESSION_TYPES, snssaiSchema } from '../identity/ue-profile.js';

/**
 * The fleet directory (`--dir`, default ./vvehicle-fleet):
 *   fleet.json           the plan: vehicles, identities (no secret), placement — deterministic, 0644
 *   fleet.secrets.json   K/OPc per SUPI, 0600 (kept across re-plans: the core is provisioned with them)
 *   state.json           what `fleet up` is about to create / created (written BEFORE creating it)
 *   disks/<id>.qcow2     per-vehicle overlays (or copies)      domains/<id>.xml   rendered domain XML
 *   credentials/<id>/    secret credentials for fw_cfg, 0600   consoles/<id>.log  serial consoles
 */
export const FLEET_FILE = 'fleet.json';
export const SECRETS_FILE = 'fleet.secrets.json';
export const STATE_FILE = 'state.json';
export const DEFAULT_FLEET_DIR = 'vvehicle-fleet';
export const FLEET_VERSION = 2;

export const fleetDirs = (dir: string) => ({
  disks: join(dir, 'disks'),
  domains: join(dir, 'domains'),
  credentials: join(dir, 'credentials'),
  consoles: join(dir, 'consoles'),
});

const hex32 = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits');

export const hostSchema = z.strictObject({
  uri: z.string().min(1).describe('libvirt connection URI'),
  cores: z.number().int().positive().describe('host CPU cores'),
  reserved: z.array(z.number().int().nonnegative()).describe('cores kept for the host (never pinned to a vehicle)'),
  dir: z.string().regex(/^\/[^<>&'"\n]*$/).optional().describe('a remote host: where libvirt makes the vehicles\' files there (default /var/lib/libvirt/vvehicle/<fleet>)'),
});
export type FleetHost = z.infer<typeof hostSchema>;

export const vehicleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  hostname: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  domain: z.string().describe('libvirt domain name'),
  supi: z.string().regex(/^imsi-[0-9]{6,15}$/),
  mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/),
  host: z.string().describe('libvirt URI of the host it runs on'),
  cpuset: z.array(z.number().int().nonnegative()).describe('host cores its vCPUs are pinned to, 1:1 (empty: not pinned)'),
});
export type Vehicle = z.infer<typeof vehicleSchema>;

export const fleetSchema = z.strictObject({
  /** 2: the UE's AMF field and sessions (was dnn/sst/sd) */
  fleetVersion: z.literal(FLEET_VERSION),
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
  image: z.strictObject({
    manifest: z.string().describe('absolute path of the published manifest.json'),
    name: z.string(),
    version: z.string(),
    buildId: z.string(),
    diskSha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  subscribers: z
    .strictObject({
      mcc: z.string().regex(/^[0-9]{3}$/),
      mnc: z.string().regex(/^[0-9]{2,3}$/),
      source: z.union([z.strictObject({ baseImsi: z.string().regex(/^[0-9]{15}$/) }), z.strictObject({ csv: z.string() })]),
      gnbSearchList: z.array(z.string()).describe('gNBs every UE searches (the image\'s unless the plan set others)'),
      amf: z.string().regex(/^[0-9a-f]{4}$/).describe('the AMF field of the image\'s UE'),
      sessions: z
        .array(z.strictObject({ type: z.enum(SESSION_TYPES), dnn: z.string().min(1), slice: snssaiSchema }))
        .min(1)
        .describe('the PDU sessions every UE asks for: the image\'s, with the DNN and slice a fleet may set at boot'),
    })
    .describe('what every vehicle\'s UE asks the 5G core for (its own SUPI aside): each export provisions exactly this'),
  vehicle: z.strictObject({ memoryMiB: z.number().int().positive(), vcpus: z.number().int().positive() }),
  cpuPinning: z.enum(['strict', 'off']),
  network: z.union([z.strictObject({ type: z.literal('user') }), z.strictObject({ type: z.literal('network'), name: z.string() }), z.strictObject({ type: z.literal('bridge'), name: z.string() })]),
  hosts: z.array(hostSchema).min(1),
  vehicles: z.array(vehicleSchema).min(1),
  notes: z.array(z.string()),
});
export type Fleet = z.infer<typeof fleetSchema>;

export const secretsSchema = z.strictObject({
  secretsVersion: z.literal(1),
  /** K and OPc by SUPI. */
  subscribers: z.record(z.string(), z.strictObject({ key: hex32, opc: hex32 })),
});
export type FleetSecrets = z.infer<typeof secretsSchema>;

function readJson<T>(file: string, schema: z.ZodType<T>, what: string, hint: string): T {
  if (!existsSync(file)) throw new UserError(`${file} does not exist`, hint);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} is not JSON: ${(error as Error).message}`, hint);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new UserError(`${file} is not a valid ${what}: ${i.path.join('.') || '(root)'}: ${i.message}`, hint);
  }
  return parsed.data;
}

export function readFleet(dir: string): Fleet {
  const file = join(dir, FLEET_FILE);
  const version = existsSync(file) ? (safeJson(readFileSync(file, 'utf8')) as { fleetVersion?: unknown } | undefined)?.fleetVersion : undefined;
  if (typeof version === 'number' && version < FLEET_VERSION) {
    throw new UserError(
      `${file} was planned by an older vvehicle (fleet version ${version}): it does not say what the vehicles' UEs ask the 5G core for`,
      'run `vvehicle fleet plan` again with the same options (it keeps the subscribers\' keys), then provision the core again',
    );
  }
  return readJson(join(dir, FLEET_FILE), fleetSchema, 'fleet file', 'run `vvehicle fleet plan --image <published manifest.json> --count N` first (or pass --dir)');
}

/** The secrets file must be 0600: a readable one is refused, not silently used. */
export function readSecrets(dir: string): FleetSecrets | undefined {
  const file = join(dir, SECRETS_FILE);
  if (!existsSync(file)) return undefined;
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new UserError(`${file} is readable by others (mode ${mode.toString(8)}): it holds subscriber keys`, `chmod 600 ${file}`);
  return readJson(file, secretsSchema, 'fleet secrets file', 'it is written by `vvehicle fleet plan`; remove it to generate new keys');
}

export function writeFleet(dir: string, fleet: Fleet): void {
  writeFileAtomic(join(dir, FLEET_FILE), `${JSON.stringify(fleetSchema.parse(fleet), null, 2)}\n`);
}

export function writeSecrets(dir: string, secrets: FleetSecrets): void {
  const file = join(dir, SECRETS_FILE);
  writeFileAtomic(file, `${JSON.stringify(secretsSchema.parse(secrets), null, 2)}\n`, 0o600);
  chmodSync(file, 0o600); // the umask must not widen it
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
