import type { Config } from '../config/schema.js';
import type { LockFile } from '../config/lock.js';
import { UserError } from '../errors.js';
import type { RunOptions } from '../exec.js';
import { gitProbe } from '../tools/git.js';
import { lastLine } from './reference.js';
import { describeUrl, rewriteUrl, type RewriteRule } from './rewrite.js';

type LockEntry = LockFile['repos'][string];

/** What `vvehicle lock` did to one repository. */
export interface LockChange {
  name: string;
  entry: LockEntry;
  status: 'new' | 'kept' | 'updated' | 'unchanged';
  previous?: string;
}

/** Repositories the lock file is for: those that name a branch and no commit (after `commit: null`). */
export function branchOnlyRepos(config: Config): [string, { url: string; branch: string }][] {
  return Object.entries(config.sources.repos).flatMap(([name, r]) => (r.url && !r.commit && r.branch ? [[name, { url: r.url, branch: r.branch }] as [string, { url: string; branch: string }]] : []));
}

/**
 * The next lock file, like kas and cargo: an entry that still matches its repository (same url and branch)
 * is kept; `update` names the repositories to move to their branch tip (all when empty); missing or stale
 * entries are resolved; entries for repositories pinned in the config (or gone) are dropped.
 */
export async function resolveLock(
  config: Config,
  previous: LockFile | undefined,
  rules: readonly RewriteRule[],
  options: RunOptions,
  update?: string[],
): Promise<{ lock: LockFile; changes: LockChange[] }> {
  const repos = branchOnlyRepos(config);
  for (const name of update ?? []) {
    const repo = config.sources.repos[name];
    if (!repo) throw new UserError(`lock --update ${name}: no repository of that name`, `repositories: ${Object.keys(config.sources.repos).join(', ')}`);
    if (!repo.url) throw new UserError(`lock --update ${name}: it is a path repository, used as it is: there is nothing to pin`);
    if (repo.commit) throw new UserError(`lock --update ${name}: it is pinned by a commit in the config, not by the lock file`, 'change its commit there, or set `commit: null` to follow its branch');
  }
  const changes: LockChange[] = [];
  for (const [name, repo] of repos) {
    const old = previous?.repos[name];
    const stillValid = old && old.url === repo.url && old.branch === repo.branch;
    const wanted = update !== undefined && (update.length === 0 || update.includes(name));
    if (stillValid && !wanted) {
      changes.push({ name, entry: old, status: 'kept' });
      continue;
    }
    const commit = await branchTip(name, repo, rules, options);
    const entry = { url: repo.url, branch: repo.branch, commit };
    changes.push(!old ? { name, entry, status: 'new' } : old.commit === commit && stillValid ? { name, entry, status: 'unchanged' } : { name, entry, status: 'updated', previous: old.commit });
  }
  return { lock: { lockVersion: 1, repos: Object.fromEntries(changes.map((c) => [c.name, c.entry])) }, changes };
}

/** Why a lock file does not fit its configuration (`lock --check`), without contacting any remote. */
export function lockProblems(config: Config, lock: LockFile | undefined): string[] {
  const problems: string[] = [];
  const wanted = new Map(branchOnlyRepos(config));
  for (const [name, repo] of wanted) {
    const entry = lock?.repos[name];
    if (!entry) problems.push(`${name}: branch ${repo.branch} is not pinned by the lock file`);
    else if (entry.url !== repo.url) problems.push(`${name}: the lock file was made for ${entry.url}, the config says ${repo.url}`);
    else if (entry.branch !== repo.branch) problems.push(`${name}: the lock file pins branch ${entry.branch ?? '(none)'}, the config says ${repo.branch}`);
  }
  for (const name of Object.keys(lock?.repos ?? {})) {
    if (!wanted.has(name)) problems.push(`${name}: in the lock file, but ${config.sources.repos[name] ? 'pinned by a commit in the config' : 'no longer a repository of the config'}`);
  }
  return problems;
}

async function branchTip(name: string, repo: { url: string; branch: string }, rules: readonly RewriteRule[], options: RunOptions): Promise<string> {
  const fetchUrl = rewriteUrl(repo.url, rules);
  const r = await gitProbe(['ls-remote', fetchUrl, `refs/heads/${repo.branch}`], options);
  if (!r.ok) throw new UserError(`${name}: cannot list ${describeUrl(repo.url, fetchUrl)}: ${lastLine(r.stderr)}`, 'check the URL, or add --rewrite FROM=TO');
  const commit = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${repo.branch}`))?.split('\t')[0];
  if (!commit) throw new UserError(`${name}: branch ${repo.branch} does not exist in ${describeUrl(repo.url, fetchUrl)}`);
  return commit;
}
