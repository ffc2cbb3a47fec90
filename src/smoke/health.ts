import { z } from 'zod';
import { IDENTITY_STATES } from '../identity/credentials.js';
import { identityProblems, unitsExcusedBy, type IdentityExpectation } from './identity.js';
import type { HealthReport } from './types.js';

/**
 * The VVEHICLE-HEALTH report printed by the layer's vvehicle-health oneshot, and the rules an image
 * must meet to pass. Unknown keys are kept out of the judgement but tolerated (newer layers may add some).
 */
const healthSchema = z.object({
  version: z.string().optional(),
  state: z.string(),
  failed: z.array(z.string()),
  ipv4: z.string().nullable().optional(),
  units: z.record(z.string(), z.string()),
  connman: z.boolean(),
  identity: z
    .object({
      state: z.enum(IDENTITY_STATES),
      vehicleId: z.string().nullable(),
      hostname: z.string().nullable(),
      supi: z.string().nullable(),
      missing: z.array(z.string()),
      invalid: z.array(z.string()),
    })
    .optional(),
});

export function parseHealth(json: string): { report: HealthReport } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { problem: `the VVEHICLE-HEALTH line is not valid JSON (${(error as Error).message})` };
  }
  const parsed = healthSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    return { problem: `the VVEHICLE-HEALTH line is malformed: ${first.path.join('.') || '(root)'}: ${first.message}` };
  }
  return { report: parsed.data };
}

/**
 * Every reason the report fails, in a fixed order; empty when healthy. With an identity expectation the
 * identity is judged too, and a unit that identity keeps stopped (nr-ue without identity) may be inactive.
 */
export function healthProblems(report: HealthReport, allowDegraded: boolean, identity?: IdentityExpectation): string[] {
  const problems: string[] = [];
  const okStates = allowDegraded ? ['running', 'degraded'] : ['running'];
  if (!okStates.includes(report.state)) {
    problems.push(`system state is "${report.state}" (want ${okStates.join(' or ')})`);
  }
  if (report.failed.length) problems.push(`failed units: ${report.failed.join(', ')}`);
  const excused = unitsExcusedBy(identity);
  for (const [unit, state] of Object.entries(report.units)) {
    if (excused.includes(unit) && state === 'inactive') continue;
    if (state !== 'active') problems.push(`unit ${unit} is ${state || 'unknown'} (want active)`);
  }
  if (!report.ipv4) problems.push('no IPv4 address on the uplink');
  if (report.connman) problems.push('connman is present (the image must use systemd-networkd)');
  if (identity) problems.push(...identityProblems(report, identity));
  return problems;
}
