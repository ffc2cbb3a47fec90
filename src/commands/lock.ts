import { relative } from 'node:path';
import { writeFileAtomic } from '../files/atomic.js';
import { loadConfig, readLockFile } from '../config/load.js';
import { renderLock } from '../config/lock.js';
import { UserError } from '../errors.js';
import { lockProblems, resolveLock } from '../sources/lock.js';
import { combineRules } from '../sources/rewrite.js';
import { runSignal } from '../signals.js';
import type { CommonOptions } from '../context.js';

export interface LockOptions extends CommonOptions {
  rewrite?: string[];
  /** `--update [REPO…]`: true for all, or the names given. */
  update?: boolean | string[];
  check?: boolean;
}

/**
 * `vvehicle lock`: pins branch-only repositories in <project>.lock.yml (kas's naming). Existing pins are kept
 * unless `--update [REPO…]` moves them to the branch tip; `--check` (CI) only says whether the lock file fits
 * the configuration, offline, writing nothing.
 */
export async function lockCommand(options: LockOptions, cwd = process.cwd()): Promise<string> {
  const loaded = loadConfig({ configPath: options.config, cwd, ignoreLock: true });
  const file = loaded.lockFile;
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  const previous = readLockFile(file, cwd);
  if (options.check) {
    const problems = lockProblems(loaded.config, previous);
    if (problems.length) throw new UserError(`${shown} does not fit the configuration:\n  ${problems.join('\n  ')}`, 'run `vvehicle lock` (or `vvehicle lock --update REPO`) and commit the lock file');
    return `${shown} fits the configuration (${Object.keys(previous?.repos ?? {}).length} pinned branches)`;
  }
  const update = options.update === undefined || options.update === false ? undefined : options.update === true ? [] : options.update;
  const rules = combineRules(loaded.config.sources.rewrite, options.rewrite);
  const { lock, changes } = await resolveLock(loaded.config, previous, rules, { signal: runSignal }, update);
  writeFileAtomic(file, renderLock(lock));
  const width = Math.max(0, ...changes.map((c) => c.name.length));
  return [
    ...changes.map((c) => `${c.name.padEnd(width)}  ${c.entry.branch} → ${c.entry.commit}  (${c.status}${c.previous ? ` from ${c.previous.slice(0, 12)}` : ''})`),
    changes.length ? `wrote ${shown}` : `wrote ${shown} (every repository is pinned by a commit in the config; nothing to resolve)`,
  ].join('\n');
}
