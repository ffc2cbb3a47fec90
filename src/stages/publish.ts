import { join, resolve } from 'node:path';
import { publishImage } from '../image/publish.js';
import { imageDirs, textOrNull } from './image-dirs.js';
import type { Stage } from './types.js';

/** Publishing is immutable: an unchanged manifest was published by the last run and is not tried again. */
export const publishStage: Stage = {
  id: 'publish',
  title: 'publish the versioned image',
  needsEngine: false,
  inputs: (state) => ({ manifest: textOrNull(join(imageDirs(state).outDir, 'manifest.json')), to: publishDir(state), channel: state.context.loaded.config.publish.channel }),
  outputsPresent: () => true,
  async run(state, task) {
    const result = await publishImage({
      from: imageDirs(state).outDir,
      to: publishDir(state),
      channel: state.context.loaded.config.publish.channel,
      bundle: false,
      signal: state.signal,
      report: { step: (title) => (task.output = title), note: (text) => state.notes.push(text) },
    });
    task.output = `published ${result.versionDir}`;
  },
};

function publishDir(state: Parameters<Stage['run']>[0]): string {
  const { loaded } = state.context;
  return resolve(loaded.baseDir, loaded.config.publish.dir);
}
