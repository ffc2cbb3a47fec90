import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import { credentialValueValid, FW_CFG_CREDENTIAL_PREFIX, IDENTITY_CREDENTIALS, identityCredential } from '../identity/credentials.js';
import type { FwCfgEntry } from '../tools/qemu.js';
import type { HealthReport } from './types.js';

/**
 * What smoke expects of the identity an image reports:
 * - echo: smoke passed these credentials; the health line must report state "ok" and echo the
 *   vehicle id, SUPI and host name back;
 * - missing: smoke passed none (`--no-identity`); the vehicle must still boot, report state "missing"
 *   and leave nr-ue not started.
 */
export type IdentityExpectation =
  | { kind: 'echo'; vehicleId: string | null; supi: string | null; hostname: string | null }
  | { kind: 'missing' };

/** The credentials smoke hands the guest (name → value) and what it then expects back. */
export interface SmokeIdentity {
  credentials: Record<string, string>;
  expect: IdentityExpectation;
}

export const SMOKE_VEHICLE_ID = 'vvehicle-smoke';

/**
 * A test identity that is valid for the image: a SUPI in the image's home network (MCC/MNC of the
 * config, MSIN 1), a fresh random K and OPc (smoke never registers with a core, and a throwaway key
 * is never one of a real subscriber). `overrides` (name=value from --credential) replace or add values;
 * an empty value leaves that credential out (a partial identity, which the image must call "missing").
 */
export function smokeTestIdentity(home: { mcc: string; mnc: string }, overrides: Record<string, string> = {}): SmokeIdentity {
  const plmn = `${home.mcc}${home.mnc}`;
  const credentials: Record<string, string> = {
    'vvehicle.vehicle-id': SMOKE_VEHICLE_ID,
    'vvehicle.hostname': SMOKE_VEHICLE_ID,
    'vvehicle.ue.supi': `imsi-${plmn}${'1'.padStart(15 - plmn.length, '0')}`,
    'vvehicle.ue.key': randomBytes(16).toString('hex'),
    'vvehicle.ue.opc': randomBytes(16).toString('hex'),
    ...overrides,
  };
  for (const [name, value] of Object.entries(credentials)) {
    if (value === '') {
      delete credentials[name];
      continue;
    }
    if (!IDENTITY_CREDENTIALS.some((c) => c.name === name)) {
      throw new UserError(`--credential ${name}: not a credential the image reads`, `one of: ${IDENTITY_CREDENTIALS.map((c) => c.name).join(', ')}`);
    }
    if (!credentialValueValid(name, value)) {
      const c = identityCredential(name);
      throw new UserError(`--credential ${name}: ${c.secret ? 'the value' : `"${value}"`} is not valid (${c.description})`);
    }
  }
  return {
    credentials,
    expect: {
      kind: 'echo',
      vehicleId: credentials['vvehicle.vehicle-id'] ?? null,
      supi: credentials['vvehicle.ue.supi'] ?? null,
      hostname: credentials['vvehicle.hostname'] ?? null,
    },
  };
}

/** `--credential NAME=VALUE` flags as a record (later ones win). */
export function parseCredentialFlags(flags: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) throw new UserError(`--credential ${flag}: expected NAME=VALUE`, 'e.g. --credential vvehicle.vehicle-id=bench-01');
    out[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return out;
}

/**
 * The credentials as QEMU fw_cfg items. Secrets go through file= (written 0600 into dir, a throwaway
 * directory only we can read) so that they never show in QEMU's argv (ps, /proc/<pid>/cmdline); the
 * others through string=.
 */
export function credentialFwCfg(credentials: Record<string, string>, dir: string): FwCfgEntry[] {
  return Object.entries(credentials).map(([name, value]) => {
    const fwName = `${FW_CFG_CREDENTIAL_PREFIX}${name}`;
    if (!identityCredential(name).secret) return { name: fwName, string: value };
    const file = join(dir, `credential-${name}`);
    writeFileSync(file, value, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { name: fwName, file };
  });
}

/** Every way the reported identity differs from what smoke expects, in a fixed order; empty when it matches. */
export function identityProblems(report: HealthReport, expected: IdentityExpectation): string[] {
  const identity = report.identity;
  if (!identity) return ['the health line reports no identity (the image has no vvehicle-identity unit)'];
  const why = [
    ...(identity.missing.length ? [`missing ${identity.missing.join(', ')}`] : []),
    ...(identity.invalid.length ? [`invalid ${identity.invalid.join(', ')}`] : []),
  ].join('; ');
  if (expected.kind === 'missing') {
    const problems = identity.state === 'missing' ? [] : [`identity is "${identity.state}", want "missing" (smoke passed no identity)`];
    const nrUe = report.units['nr-ue.service'];
    if (nrUe === 'active' || nrUe === 'activating') problems.push(`nr-ue.service is ${nrUe} without identity (want it not started)`);
    return problems;
  }
  if (identity.state !== 'ok') return [`identity is "${identity.state}"${why ? ` (${why})` : ''}, want "ok" for the identity smoke passed`];
  const problems: string[] = [];
  for (const [key, want] of [['vehicleId', expected.vehicleId], ['supi', expected.supi], ['hostname', expected.hostname]] as const) {
    if (want !== null && identity[key] !== want) problems.push(`identity ${key} is ${JSON.stringify(identity[key])}, smoke passed "${want}"`);
  }
  return problems;
}

/** Units the health line may show not active because of the expected identity (nr-ue without identity). */
export function unitsExcusedBy(expected: IdentityExpectation | undefined): string[] {
  return expected?.kind === 'missing' ? ['nr-ue.service'] : [];
}

/**
 * The identity smoke passes: by default a test identity (with --credential values over it), which the
 * health line must echo back; with --no-identity none, and the vehicle must say so and keep nr-ue stopped.
 */
export function smokeIdentity(config: Config, options: { identity?: boolean; credential?: string[] } = {}): SmokeIdentity {
  if (options.identity === false) {
    if (options.credential?.length) throw new UserError('--credential and --no-identity contradict each other', 'pass one of them');
    return { credentials: {}, expect: { kind: 'missing' } };
  }
  return smokeTestIdentity(config.components.ueransim.ue, parseCredentialFlags(options.credential));
}
