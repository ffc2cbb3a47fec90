import { join, resolve } from 'node:path';
import { publishImage } from '../../image/publish.js';
import { DEFAULT_REGISTRY_TIMEOUT_SEC, publishToRegistry } from '../../image/publish-oci.js';
import { parsePublishTarget } from '../../image/publish-target.js';
import { imageDirs, textOrNull } from './image-dirs.js';
import type { Stage } from './types.js';

/** Publishing is immutable: an unchanged manifest was published by the last run and is not tried again. */
export const publishStage: Stage = {
  id: 'publish',
  title: 'publish the versioned image',
  needsEngine: false,
  inputs: (state) => ({ manifest: textOrNull(join(imageDirs(state).outDir, 'manifest.json')), to: publishTo(state), channel: state.context.loaded.config.publish.channel }),
  outputsPresent: () => true,
  async run(state, task) {
    const from = imageDirs(state).outDir;
    const channel = state.context.loaded.config.publish.channel;
    const report = { step: (title: string) => (task.output = title), note: (text: string) => state.notes.push(text) };
    const target = parsePublishTarget(state.context.loaded.config.publish.dir);
    if (target.kind === 'oci') {
      const result = await publishToRegistry({ from, target, channel, insecure: false, timeoutSec: DEFAULT_REGISTRY_TIMEOUT_SEC, signal: state.signal, report });
      task.output = `published ${result.reference}@${result.digest}`;
      return;
    }
    const result = await publishImage({ from, to: publishTo(state), channel, bundle: false, signal: state.signal, report });
    task.output = `published ${result.versionDir}`;
  },
};

/** publish.dir: a directory relative to the config file, or oci://HOST[:PORT]/REPO as written. */
function publishTo(state: Parameters<Stage['run']>[0]): string {
  const { loaded } = state.context;
  const target = parsePublishTarget(loaded.config.publish.dir);
  return target.kind === 'dir' ? resolve(loaded.baseDir, target.path) : loaded.config.publish.dir;
}
