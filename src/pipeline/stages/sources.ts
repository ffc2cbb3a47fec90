import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncAll } from '../../sources/checkout.js';
import { isPatchedAsPlanned } from '../../sources/patches.js';
import { rewriteUrl } from '../../sources/rewrite.js';
import type { PipelineState, Stage } from './types.js';

export function sourcesInputs(state: PipelineState): unknown {
  return {
    repos: state.context.plan.repos.flatMap((r) =>
      r.kind === 'git' ? [{ name: r.name, url: r.url, fetchUrl: rewriteUrl(r.url, state.rules), commit: r.commit, ...(r.patchesDigest ? { patches: r.patchesDigest } : {}) }] : [],
    ),
    referenceDir: state.referenceDir ?? null,
  };
}

/** Reads .git/HEAD directly: a detached checkout holds the commit id there, no git process needed. */
function checkedOutAt(dir: string): string | undefined {
  const head = join(dir, '.git', 'HEAD');
  return existsSync(head) ? readFileSync(head, 'utf8').trim() : undefined;
}

export const sourcesStage: Stage = {
  id: 'sources',
  title: 'check out pinned layer repositories',
  needsEngine: false,
  inputs: sourcesInputs,
  outputsPresent: (state) =>
    state.context.plan.repos.every((r) => {
      if (r.kind === 'local') return existsSync(r.path);
      const dir = join(state.context.workDir, r.path);
      return r.patches ? isPatchedAsPlanned(dir, r, checkedOutAt(dir)) : checkedOutAt(dir) === r.commit;
    }),
  async run(state, task) {
    const results = await syncAll(
      state.context.plan.repos,
      { workDir: state.context.workDir, rules: state.rules, referenceDir: state.referenceDir, force: state.force, git: { signal: state.signal } },
      (text) => (task.output = text),
    );
    for (const r of results) state.notes.push(...r.notes);
    const changed = results.filter((r) => r.status !== 'unchanged').map((r) => `${r.name} ${r.status}`);
    task.output = changed.length ? changed.join(', ') : 'all checkouts already at their pinned commits';
  },
};
