import { UserError } from '../errors.js';
import { STAGE_IDS, type StageId } from '../plan/types.js';

export interface StageSelection {
  only?: string[];
  skip?: string[];
  until?: string;
}

export function parseStageIds(flag: string, values: readonly string[], available: readonly StageId[]): StageId[] {
  const ids = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const id of ids) {
    if (!(available as readonly string[]).includes(id)) {
      const known = (STAGE_IDS as readonly string[]).includes(id);
      throw new UserError(
        known ? `${flag} ${id}: this stage is not available in this build` : `${flag} ${id}: unknown stage id`,
        `valid stage ids: ${available.join(', ')}`,
      );
    }
  }
  return ids as StageId[];
}

/** --only, --skip, --until → the stages to run, in pipeline order. Unknown ids are user errors. */
export function selectStages(available: readonly StageId[], selection: StageSelection): StageId[] {
  const only = selection.only?.length ? parseStageIds('--only', selection.only, available) : undefined;
  const skip = parseStageIds('--skip', selection.skip ?? [], available);
  const until = selection.until ? parseStageIds('--until', [selection.until], available)[0] : undefined;
  if (only && until) throw new UserError('--only and --until cannot be combined', 'use --only with the list of stages, or --until with --skip');
  const end = until ? available.indexOf(until) : available.length - 1;
  return available.filter((id, i) => i <= end && (!only || only.includes(id)) && !skip.includes(id));
}
