import { formatCheckReport, runChecks, type CheckReport } from '../bitbake/check.js';
import { hashServers } from '../container/cache-access.js';
import { runStages } from '../pipeline/pipeline.js';
import { digestOf, readStageRecord } from '../pipeline/stage-state.js';
import { requireRunnableEngine } from '../container/preflight.js';
import { parseMinFree, preflight, pipelineState, withWorkDirLock, type RunOptions } from '../pipeline/run-options.js';
import { builderStage } from '../pipeline/stages/builder.js';
import { configureStage } from '../pipeline/stages/configure.js';
import { layerStage } from '../pipeline/stages/layer.js';
import { sourcesStage } from '../pipeline/stages/sources.js';
import { openContext } from '../context.js';

/** A check needs the sources, the layer, the build conf and the builder image, but no build space. */
export const CHECK_MIN_FREE_GIB = 10;

/**
 * `vvehicle check`: the fast gate before an hours-long build. sources → layer → configure → builder,
 * then ONE bitbake run in the container, offline: bitbake -g <target>, which parses every recipe first
 * (what bitbake -p does) and then resolves the task graph; fails on errors,
 * unexpected WARNING lines, a component missing from the task graph, or connman in it.
 */
export async function checkCommand(options: RunOptions): Promise<string> {
  const context = openContext(options);
  const state = pipelineState(context, options);
  let report: CheckReport | undefined;
  // bitbake talks to a host:port hash server while parsing: the container then has network for it
  const servers = hashServers(context.loaded.config.build);
  await withWorkDirLock(state, async () => {
    const engine = await preflight(state, options, { engine: true, minFreeGiB: parseMinFree(options.minFreeGib, CHECK_MIN_FREE_GIB), probe: false });
    // the builder stage recorded with this very engine and image means this engine ran containers for this work
    // dir: a warm rerun does not pay for a probe container (a broken engine still fails the bitbake run, named)
    const proven = readStageRecord(context.workDir, 'builder')?.inputsDigest === digestOf(await builderStage.inputs(state));
    if (!proven) await requireRunnableEngine(engine!);
    await runStages(state, [sourcesStage, layerStage, configureStage, builderStage], [
      {
        title: `check: bitbake -g ${context.plan.image.target}, parsing every recipe (in the container, ${servers.length ? `with network for the hash server ${servers.join(', ')}` : 'offline'})`,
        task: async (s, task) => {
          report = await runChecks(s, task);
        },
      },
    ]);
  });
  return [...state.notes.map((n) => `note: ${n}`), formatCheckReport(report!)].join('\n');
}
