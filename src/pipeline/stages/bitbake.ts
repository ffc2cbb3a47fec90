import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBitbake } from '../../bitbake/bitbake-run.js';
import { buildPaths } from '../../bitbake/configure.js';
import { containerSetupFor } from '../../container/container-setup.js';
import { readStageRecord } from '../stage-state.js';
import { throttledProgress } from './progress.js';
import type { PipelineState, Stage } from './types.js';
import { repoRevision } from '../../plan/repo-dir.js';

function confText(state: PipelineState, name: string): string {
  const file = join(buildPaths(state.context.plan, state.context.workDir).conf, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export const bitbakeStage: Stage = {
  id: 'bitbake',
  title: 'run bitbake in the container',
  needsEngine: true,
  // what bitbake reads: the pinned sources, our layer, the three conf files, the builder image
  inputs: (state) => ({
    commits: state.context.plan.repos.map((r) => `${r.name}@${repoRevision(r)}`),
    layer: readStageRecord(state.context.workDir, 'layer')?.inputsDigest ?? null,
    conf: ['bblayers.conf', 'local.conf', 'vvehicle.conf'].map((n) => confText(state, n)),
    builder: state.builder?.id ?? null,
    target: state.context.plan.image.target,
    ...(state.bitbakeInvocation ? { invocation: state.bitbakeInvocation } : {}),
  }),
  outputsPresent: (state) => {
    const topdir = buildPaths(state.context.plan, state.context.workDir).topdir;
    return state.context.plan.artifacts.filter((a) => a.required).every((a) => existsSync(join(topdir, a.path)));
  },
  async run(state, task) {
    const setup = containerSetupFor(state);
    const report = throttledProgress((text) => (task.output = text));
    const custom = state.bitbakeInvocation;
    const command = { kind: 'build' as const, target: custom?.target ?? state.context.plan.image.target, task: custom?.task, continue: custom?.continue, extra: custom?.extra };
    const result = await runBitbake(setup, command, {
      network: 'default',
      signal: state.signal,
      logFile: state.bitbakeLog!,
      onProgress: report,
    });
    task.output = `${result.summary.current}/${result.summary.total} tasks; log ${state.bitbakeLog}`;
  },
};
