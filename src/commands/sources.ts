import { preflight, pipelineState, type RunOptions } from '../pipeline/run-options.js';
import { syncAll } from '../sources/checkout.js';
import { describeUrl } from '../sources/rewrite.js';
import { openContext } from '../context.js';
import { revisionLabel } from '../plan/repo-dir.js';

/** `vvehicle sources`: every repo of the plan at its pinned commit (detached, verified). */
export async function sourcesCommand(options: RunOptions): Promise<string> {
  const context = openContext(options);
  const state = pipelineState(context, options);
  await preflight(state, options, { engine: false, minFreeGiB: 1 });
  const results = await syncAll(context.plan.repos, {
    workDir: context.workDir,
    rules: state.rules,
    referenceDir: state.referenceDir,
    force: state.force,
    git: { signal: state.signal },
  });
  const repoByName = new Map(context.plan.repos.map((r) => [r.name, r]));
  const width = Math.max(...context.plan.repos.map((r) => r.name.length));
  return [
    ...results.map((r) => {
      const repo = repoByName.get(r.name)!;
      const patched = r.patchedHead ? `  (+ ${revisionLabel(repo).replace(/^\S+ \+ /, '')} → ${r.patchedHead.slice(0, 12)})` : '';
      return `${r.name.padEnd(width)}  ${r.commit.slice(0, 12)}  ${r.status.padEnd(9)}  ${describeUrl(repo.kind === 'git' ? repo.url : repo.path, r.fetchUrl)}${patched}`;
    }),
    ...context.plan.repos.flatMap((r) => (r.kind === 'local' ? [`${r.name.padEnd(width)}  used in place: ${revisionLabel(r)}`] : [])),
    ...results.flatMap((r) => r.notes.map((n) => `note: ${n}`)),
  ].join('\n');
}
