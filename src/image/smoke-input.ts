import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { SmokeResult } from '../smoke/types.js';

/**
 * Reads the SmokeResult JSON `vvehicle smoke --json` wrote. Only the fields the manifest and
 * publish use are checked; the rest of the smoke helper's result may grow freely.
 */
const status = z.enum(['pass', 'fail', 'skipped']);
const smokeInputSchema = z.object({
  verdict: z.enum(['pass', 'fail']),
  accel: z.enum(['kvm', 'tcg']),
  accelReason: z.string(),
  cpu: z.string(),
  machine: z.string(),
  memoryMiB: z.number(),
  cpus: z.number(),
  disk: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  stages: z.array(z.object({ id: z.string(), status, durationMs: z.number(), message: z.string().optional() })),
  probes: z.array(z.object({ id: z.string(), status, durationMs: z.number(), detail: z.string() })),
  consoleLog: z.string(),
  junit: z.string().optional(),
  failure: z.object({ stage: z.string(), message: z.string() }).optional(),
});

export type SmokeInput = z.infer<typeof smokeInputSchema>;

/** A SmokeResult in memory is a SmokeInput: this fails to compile if the smoke side drops a field we read. */
export function smokeInputFrom(result: SmokeResult): SmokeInput {
  return result;
}

export function readSmokeResult(file: string): SmokeInput {
  if (!existsSync(file)) throw new UserError(`smoke result ${file} does not exist`, 'pass the file `vvehicle smoke --json` wrote');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`smoke result ${file} is not JSON: ${(error as Error).message}`, 'pass the file `vvehicle smoke --json` wrote');
  }
  const parsed = smokeInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`smoke result ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`, 'pass the file `vvehicle smoke --json` wrote');
  }
  return parsed.data;
}
