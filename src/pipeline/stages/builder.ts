import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerfileFor, prepareBuilder, type BuilderRecord } from '../../container/builder-image.js';
import { imageExists } from '../../tools/engine.js';
import type { PipelineState, Stage } from './types.js';

function builderFile(state: PipelineState): string {
  return join(state.context.workDir, 'builder.json');
}

/** The builder recorded in the work dir; a damaged record only costs a rebuild. */
export function readBuilderRecord(workDir: string): BuilderRecord | undefined {
  const file = join(workDir, 'builder.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuilderRecord;
  } catch {
    return undefined;
  }
}

export const builderStage: Stage = {
  id: 'builder',
  title: 'prepare the builder container image',
  needsEngine: true,
  inputs: (state) => {
    const given = state.context.loaded.config.build.image;
    return { engine: state.engine?.name, given: given ?? null, containerfile: given ? null : containerfileFor(state.builderBase).containerfile };
  },
  // the recorded builder counts only while its image is still in this engine's store
  outputsPresent: async (state) => {
    const record = existsSync(builderFile(state)) ? readBuilderRecord(state.context.workDir) : undefined;
    if (!record || (state.engine && (record.engine !== state.engine.name || !(await imageExists(state.engine, record.image))))) return false;
    state.builder = record;
    return true;
  },
  async run(state, task) {
    mkdirSync(join(state.context.workDir, state.context.plan.dirs.logs), { recursive: true });
    state.builder = await prepareBuilder({
      engine: state.engine!,
      workDir: state.context.workDir,
      givenImage: state.context.loaded.config.build.image,
      base: state.builderBase,
      log: { signal: state.signal, logFile: join(state.context.workDir, state.context.plan.dirs.logs, 'builder.log') },
      progress: (text) => (task.output = text),
    });
    task.output = `${state.builder.image} (${state.builder.id.slice(0, 19)})`;
  },
};
