import type { ListrTask } from 'listr2';
import { runTasks } from '../progress/listr-renderer.js';
import type { StageId } from '../plan/types.js';
import { readBuilderRecord } from './stages/builder.js';
import type { PipelineState, Stage } from './stages/types.js';
import { pausePoint } from '../test-pause.js';
import { digestOf, forgetStage, readStageRecord, writeStageRecord } from './stage-state.js';

/** A listr2 task for a stage: skipped when its inputs digest matches the last run and its outputs exist. */
export function stageTask(stage: Stage): ListrTask<PipelineState> {
  return {
    title: `${stage.id}: ${stage.title}`,
    task: async (state, task) => {
      const inputs = await stage.inputs(state);
      const digest = inputs === undefined ? undefined : digestOf(inputs);
      const workDir = state.context.workDir;
      const forced = state.forceStages?.includes(stage.id) || (stage.id === 'bitbake' && isCustomInvocation(state));
      if (!forced && digest && readStageRecord(workDir, stage.id)?.inputsDigest === digest && (await stage.outputsPresent(state))) {
        task.skip(`${stage.id}: unchanged since the last run`);
        return;
      }
      // while a stage runs no record may claim it done: a killed run is redone, never taken as complete
      forgetStage(workDir, stage.id);
      await stage.run(state, task);
      // the record says "done": only now, after run() has put every output in place
      await pausePoint(`stage:${stage.id}:done`);
      if (digest) writeStageRecord(workDir, stage.id, digest);
    },
  };
}

/** A bitbake run that builds something other than the image (another target, a task, extra arguments). */
export function isCustomInvocation(state: PipelineState): boolean {
  const i = state.bitbakeInvocation;
  return Boolean(i && ((i.target && i.target !== state.context.plan.image.target) || i.task || i.extra.length));
}

export async function runStages(state: PipelineState, stages: readonly Stage[], extra: ListrTask<PipelineState>[] = []): Promise<void> {
  const ids = new Set<StageId>(stages.map((s) => s.id));
  // stages left out by --only/--skip still hand on what they made last time
  if (!ids.has('builder')) state.builder ??= readBuilderRecord(state.context.workDir);
  await runTasks([...stages.map(stageTask), ...extra], state);
}
