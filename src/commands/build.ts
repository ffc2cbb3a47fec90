import { isCustomInvocation, runStages } from '../pipeline/pipeline.js';
import { parseMinFree, preflight, pipelineState, withWorkDirLock, type RunOptions } from '../pipeline/run-options.js';
import { parseStageIds, selectStages, type StageSelection } from '../pipeline/select-stages.js';
import { readStageRecord } from '../pipeline/stage-state.js';
import { UserError } from '../errors.js';
import { PIPELINE } from '../pipeline/stages/index.js';
import { openContext } from '../context.js';
import { MIN_FREE_GIB } from './doctor.js';

export interface BitbakeFlags {
  target?: string;
  task?: string;
  continue?: boolean;
  forceStage?: string[];
}

export type BuildOptions = RunOptions & StageSelection & BitbakeFlags;

const TARGET = /^[A-Za-z0-9][A-Za-z0-9+._-]*(:do_[a-z0-9_]+)?$/;
const TASK = /^(do_)?[a-z0-9_]+$/;

/**
 * `vvehicle build`: the stages by id; stages whose inputs did not change are skipped (`--force-stage S` runs S
 * anyway). `--target`, `--task`, `-k` and arguments after `--` change what the bitbake stage runs; a run that
 * builds something other than the image stops after the bitbake stage.
 */
export async function buildCommand(options: BuildOptions, bitbakeArgs: readonly string[] = []): Promise<string> {
  if (options.target !== undefined && !TARGET.test(options.target)) throw new UserError(`--target ${options.target}: not a recipe or target name`);
  if (options.task !== undefined && !TASK.test(options.task)) throw new UserError(`--task ${options.task}: not a task name (e.g. compile, do_cleansstate, populate_sdk)`);
  const available = PIPELINE.map((s) => s.id);
  const forceStages = parseStageIds('--force-stage', options.forceStage ?? [], available);
  let ids = selectStages(available, options);
  const context = openContext(options);
  const state = pipelineState(context, options);
  if (options.target || options.task || options.continue || bitbakeArgs.length) {
    state.bitbakeInvocation = { target: options.target, task: options.task, continue: options.continue, extra: bitbakeArgs };
    if (!ids.includes('bitbake')) throw new UserError('--target, --task, -k and bitbake arguments need the bitbake stage', 'drop --skip bitbake / --until before bitbake');
    if (isCustomInvocation(state)) {
      const later = ids.filter((id) => available.indexOf(id) > available.indexOf('bitbake'));
      if (later.length) state.notes.push(`not run: ${later.join(', ')} (they need the image; this bitbake run builds something else)`);
      ids = ids.filter((id) => !later.includes(id));
    }
  }
  for (const id of forceStages) if (!ids.includes(id)) throw new UserError(`--force-stage ${id}: the stage is not selected in this run`);
  state.forceStages = forceStages;
  const stages = PIPELINE.filter((s) => ids.includes(s.id));
  const needsBuildSpace = ids.includes('bitbake');
  await withWorkDirLock(state, async () => {
    await preflight(state, options, {
      engine: stages.some((s) => s.needsEngine),
      // a work dir where every engine stage has completed before has proven the engine; reruns stay fast
      probe: stages.some((s) => s.needsEngine && !readStageRecord(context.workDir, s.id)),
      minFreeGiB: parseMinFree(options.minFreeGib, needsBuildSpace ? MIN_FREE_GIB : 1),
    });
    await runStages(state, stages);
  });
  return [
    ...state.notes.map((n) => `note: ${n}`),
    `ran ${ids.join(' → ')}${state.bitbakeLog ? `; bitbake log ${state.bitbakeLog}` : ''}`,
  ].join('\n');
}
