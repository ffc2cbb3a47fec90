import { runStages } from '../build/pipeline.js';
import { parseMinFree, preflight, pipelineState, type RunOptions } from '../build/run-options.js';
import { selectStages, type StageSelection } from '../build/select-stages.js';
import { readStageRecord } from '../build/stage-state.js';
import { PIPELINE } from '../stages/index.js';
import { openContext } from '../context.js';
import { MIN_FREE_GIB } from './doctor.js';

export type BuildOptions = RunOptions & StageSelection;

/** `vvehicle build`: the stages by id; stages whose inputs did not change are skipped. */
export async function buildCommand(options: BuildOptions): Promise<string> {
  const ids = selectStages(PIPELINE.map((s) => s.id), options);
  const context = openContext(options);
  const stages = PIPELINE.filter((s) => ids.includes(s.id));
  const state = pipelineState(context, options);
  const needsBuildSpace = ids.includes('bitbake');
  await preflight(state, options, {
    engine: stages.some((s) => s.needsEngine),
    // a work dir where every engine stage has completed before has proven the engine; reruns stay fast
    probe: stages.some((s) => s.needsEngine && !readStageRecord(context.workDir, s.id)),
    minFreeGiB: parseMinFree(options.minFreeGib, needsBuildSpace ? MIN_FREE_GIB : 1),
  });
  await runStages(state, stages);
  return [
    ...state.notes.map((n) => `note: ${n}`),
    `ran ${ids.join(' → ')}${state.bitbakeLog ? `; bitbake log ${state.bitbakeLog}` : ''}`,
  ].join('\n');
}
