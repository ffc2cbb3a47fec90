import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBuilder } from '../container/builder-image.js';
import { preflight, pipelineState, type RunOptions } from '../pipeline/run-options.js';
import { openContext } from '../context.js';

/** `vvehicle builder`: builds (or takes build.image as given) the builder image and records its id. */
export async function builderCommand(options: RunOptions, progress: (text: string) => void): Promise<string> {
  const context = openContext(options);
  const state = pipelineState(context, options);
  const engine = (await preflight(state, options, { engine: true, minFreeGiB: 2 }))!;
  const logs = join(context.workDir, context.plan.dirs.logs);
  mkdirSync(logs, { recursive: true });
  const record = await prepareBuilder({
    engine,
    workDir: context.workDir,
    givenImage: context.loaded.config.build.image,
    base: state.builderBase,
    log: { signal: state.signal, logFile: join(logs, 'builder.log') },
    progress,
  });
  return [`image ${record.image}`, `id    ${record.id}`, `wrote ${join(context.workDir, 'builder.json')}`].join('\n');
}
