import { writeBuildConf } from '../build/configure.js';
import type { Stage } from './types.js';

/** Cheap and self-checking (writes only what changed), so it always runs. */
export const configureStage: Stage = {
  id: 'configure',
  title: 'write the managed build configuration',
  needsEngine: false,
  inputs: () => undefined,
  outputsPresent: () => false,
  async run(state, task) {
    const result = writeBuildConf(state.context.plan, state.context.workDir);
    state.notes.push(...result.notes);
    if (result.localConfCreated) state.notes.push(`created ${result.topdir}/conf/local.conf (yours from now on; vvehicle never rewrites it)`);
    task.output = result.written.length ? `wrote ${result.written.join(', ')}` : 'build configuration unchanged';
  },
};
