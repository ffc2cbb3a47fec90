import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPaths, writeBuildConf } from '../../bitbake/configure.js';
import { readStageRecord } from '../stage-state.js';
import { shippedFilesFingerprint } from './shipped-files.js';
import type { Stage } from './types.js';

/**
 * Writes only what changed. A warm rerun skips it without rendering when the plan and templates are those of
 * the last run and our conf files are still as it left them (present, not touched since: a hand edit of a
 * file we own is put back by the next run); local.conf only has to exist, it is the user's.
 */
export const configureStage: Stage = {
  id: 'configure',
  title: 'write the managed build configuration',
  needsEngine: false,
  inputs: (state) => ({ plan: state.context.plan, workDir: state.context.workDir, shipped: shippedFilesFingerprint() }),
  outputsPresent: (state) => {
    const workDir = state.context.workDir;
    const conf = buildPaths(state.context.plan, workDir).conf;
    const record = readStageRecord(workDir, 'configure');
    if (!record || !existsSync(join(conf, 'local.conf'))) return false;
    // completedAt has whole milliseconds, a file's mtime has a fraction: a file written in the same millisecond as
    // the record would otherwise look newer than it
    const recordedAt = Date.parse(record.completedAt);
    return ['bblayers.conf', 'vvehicle.conf'].every((name) => existsSync(join(conf, name)) && Math.floor(statSync(join(conf, name)).mtimeMs) <= recordedAt);
  },
  async run(state, task) {
    const result = writeBuildConf(state.context.plan, state.context.workDir);
    state.notes.push(...result.notes);
    if (result.localConfCreated) state.notes.push(`created ${result.topdir}/conf/local.conf (yours from now on; vvehicle never rewrites it)`);
    task.output = result.written.length ? `wrote ${result.written.join(', ')}` : 'build configuration unchanged';
  },
};
