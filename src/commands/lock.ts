import { join } from 'node:path';
import { writeFileAtomic } from '../build/files.js';
import { loadConfig } from '../config/load.js';
import { renderLock } from '../config/lock.js';
import { LOCK_FILE } from '../package-paths.js';
import { resolveLock } from '../sources/lock.js';
import { combineRules } from '../sources/rewrite.js';
import { runSignal } from '../signals.js';
import type { CommonOptions } from '../context.js';

/** `vvehicle lock`: resolves branch-only repos (git ls-remote through the rewrites) into vvehicle.lock.yml. */
export async function lockCommand(options: CommonOptions & { rewrite?: string[] }, cwd = process.cwd()): Promise<string> {
  const loaded = loadConfig({ configPath: options.config, cwd, ignoreLock: true });
  const rules = combineRules(loaded.config.sources.rewrite, options.rewrite);
  const lock = await resolveLock(loaded.config, rules, { signal: runSignal });
  const file = join(loaded.baseDir, LOCK_FILE);
  writeFileAtomic(file, renderLock(lock));
  const names = Object.entries(lock.repos);
  return [
    ...names.map(([name, r]) => `${name}  ${r.branch} → ${r.commit}`),
    names.length ? `wrote ${file}` : `wrote ${file} (every repository is pinned by a commit in the config; nothing to resolve)`,
  ].join('\n');
}
