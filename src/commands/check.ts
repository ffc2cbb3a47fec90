import { formatCheckReport, runChecks, type CheckReport } from '../build/check.js';
import { runStages } from '../build/pipeline.js';
import { parseMinFree, preflight, pipelineState, type RunOptions } from '../build/run-options.js';
import { builderStage } from '../stages/builder.js';
import { configureStage } from '../stages/configure.js';
import { layerStage } from '../stages/layer.js';
import { sourcesStage } from '../stages/sources.js';
import { openContext } from '../context.js';

/** A check needs the sources, the layer, the build conf and the builder image, but no build space. */
export const CHECK_MIN_FREE_GIB = 10;

/**
 * `vvehicle check`: the fast gate before an hours-long build. sources → layer → configure → builder,
 * then in the container, offline: show-layers, bitbake -p, bitbake -g <target>; fails on errors,
 * unexpected WARNING lines, a component missing from the task graph, or connman in it.
 */
export async function checkCommand(options: RunOptions): Promise<string> {
  const context = openContext(options);
  const state = pipelineState(context, options);
  await preflight(state, options, { engine: true, minFreeGiB: parseMinFree(options.minFreeGib, CHECK_MIN_FREE_GIB) });
  let report: CheckReport | undefined;
  await runStages(state, [sourcesStage, layerStage, configureStage, builderStage], [
    {
      title: 'check: bitbake-layers show-layers, bitbake -p, bitbake -g (offline, in the container)',
      task: async (s, task) => {
        report = await runChecks(s, task);
      },
    },
  ]);
  return [...state.notes.map((n) => `note: ${n}`), formatCheckReport(report!)].join('\n');
}
