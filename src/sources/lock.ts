import type { Config } from '../config/schema.js';
import type { LockFile } from '../config/lock.js';
import { UserError } from '../errors.js';
import type { RunOptions } from '../exec.js';
import { gitProbe } from '../tools/git.js';
import { lastLine } from './reference.js';
import { describeUrl, rewriteUrl, type RewriteRule } from './rewrite.js';

/** Resolves every repo pinned by branch only (no commit in the config) to the branch's current commit. */
export async function resolveLock(config: Config, rules: readonly RewriteRule[], options: RunOptions): Promise<LockFile> {
  const repos: LockFile['repos'] = {};
  for (const [name, repo] of Object.entries(config.sources.repos)) {
    if (repo.commit || !repo.branch) continue;
    const fetchUrl = rewriteUrl(repo.url, rules);
    const r = await gitProbe(['ls-remote', fetchUrl, `refs/heads/${repo.branch}`], options);
    if (!r.ok) throw new UserError(`${name}: cannot list ${describeUrl(repo.url, fetchUrl)}: ${lastLine(r.stderr)}`, 'check the URL, or add --rewrite FROM=TO');
    const commit = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${repo.branch}`))?.split('\t')[0];
    if (!commit) throw new UserError(`${name}: branch ${repo.branch} does not exist in ${describeUrl(repo.url, fetchUrl)}`);
    repos[name] = { url: repo.url, branch: repo.branch, commit };
  }
  return { lockVersion: 1, repos };
}
