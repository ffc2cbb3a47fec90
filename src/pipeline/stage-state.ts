import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../plan/digest.js';
import { writeFileAtomic } from '../files/atomic.js';

/** <work>/.state/<stage>.json: the digest of the inputs the stage last completed with. */
export interface StageRecord {
  stage: string;
  inputsDigest: string;
  completedAt: string;
}

export function digestOf(inputs: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(inputs))}`;
}

function recordPath(workDir: string, stage: string): string {
  return join(workDir, '.state', `${stage}.json`);
}

export function readStageRecord(workDir: string, stage: string): StageRecord | undefined {
  const file = recordPath(workDir, stage);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<StageRecord>;
    // `{}` is a record forgotten while its stage ran: that stage never completed
    return typeof record.inputsDigest === 'string' ? (record as StageRecord) : undefined;
  } catch {
    return undefined; // a damaged record only costs a rerun
  }
}

export function writeStageRecord(workDir: string, stage: string, inputsDigest: string, now = new Date()): void {
  const record: StageRecord = { stage, inputsDigest, completedAt: now.toISOString() };
  writeFileAtomic(recordPath(workDir, stage), `${JSON.stringify(record, null, 2)}\n`);
}

export function forgetStage(workDir: string, stage: string): void {
  const file = recordPath(workDir, stage);
  if (existsSync(file)) writeFileAtomic(file, '{}\n');
}
