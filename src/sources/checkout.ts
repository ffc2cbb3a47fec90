import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError, UserError } from '../errors.js';
import type { RunOptions } from '../exec.js';
import type { PlannedGitRepo, PlannedRepo } from '../plan/types.js';
import { applyPatches, forgetPatchState, isPatchedAsPlanned } from './patches.js';
import { detachedCheckout, git, gitProbe, hasCommit, headCommit, localChanges } from '../tools/git.js';
import { ensureParent, lastLine, prepareReference, referenceObjects } from './reference.js';
import { describeUrl, rewriteUrl, type RewriteRule } from './rewrite.js';

export interface SyncOptions {
  workDir: string;
  rules: readonly RewriteRule[];
  referenceDir?: string;
  /** Discard local changes in a checkout that has to move. */
  force: boolean;
  git: RunOptions;
}

export type SyncStatus = 'cloned' | 'updated' | 'patched' | 'unchanged';
export interface SyncResult {
  name: string;
  commit: string;
  /** HEAD after the patches, when the repository has any. */
  patchedHead?: string;
  status: SyncStatus;
  fetchUrl: string;
  notes: string[];
}

/**
 * Brings <work>/sources/<name> to the pinned commit, detached, and proves it (HEAD == commit).
 * A new checkout is assembled under a temp name and renamed, so a failed fetch leaves nothing behind.
 */
export async function syncRepo(repo: PlannedGitRepo, options: SyncOptions): Promise<SyncResult> {
  const dest = join(options.workDir, repo.path);
  const fetchUrl = rewriteUrl(repo.url, options.rules);
  const notes: string[] = [];
  if (repo.patches && existsSync(join(dest, '.git'))) {
    const head = await headCommit(dest, options.git);
    if (isPatchedAsPlanned(dest, repo, head) && (await localChanges(dest, options.git)).length === 0) {
      return { name: repo.name, commit: repo.commit, patchedHead: head, status: 'unchanged', fetchUrl, notes };
    }
  }
  const reference = options.referenceDir ? await prepareReference(options.referenceDir, repo, fetchUrl, options.git) : undefined;
  if (reference?.note) notes.push(reference.note);

  let status: SyncStatus;
  if (existsSync(dest) && !existsSync(join(dest, '.git'))) {
    if (readdirSync(dest).length > 0 && !options.force) {
      throw new UserError(`${dest} exists and is not a git checkout; refusing to overwrite it`, 'move it away, or pass --force to replace it');
    }
    rmSync(dest, { recursive: true, force: true });
  }
  if (existsSync(dest)) {
    status = await updateCheckout(dest, repo, fetchUrl, options, notes);
  } else {
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    ensureParent(dest);
    try {
      await git(['init', '-q', tmp], options.git);
      if (reference) writeFileSync(join(tmp, '.git/objects/info/alternates'), `${referenceObjects(reference.path)}\n`);
      await git(['-C', tmp, 'remote', 'add', 'origin', fetchUrl], options.git);
      await ensureCommit(tmp, repo, fetchUrl, options.git);
      await detachedCheckout(tmp, repo.commit, false, options.git);
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    status = 'cloned';
  }
  const head = await headCommit(dest, options.git);
  if (head !== repo.commit) {
    throw new ToolError(`git -C ${dest} rev-parse HEAD`, 1, '', `${repo.name}: HEAD is ${head ?? 'missing'} after checkout, expected ${repo.commit}`);
  }
  if (!repo.patches) {
    forgetPatchState(dest);
    return { name: repo.name, commit: repo.commit, status, fetchUrl, notes };
  }
  const patchedHead = await applyPatches(dest, repo, options.git);
  return { name: repo.name, commit: repo.commit, patchedHead, status: status === 'cloned' ? 'cloned' : 'patched', fetchUrl, notes };
}

async function updateCheckout(dest: string, repo: PlannedGitRepo, fetchUrl: string, options: SyncOptions, notes: string[]): Promise<SyncStatus> {
  const head = await headCommit(dest, options.git);
  const changes = await localChanges(dest, options.git);
  if (head === repo.commit && changes.length === 0) return 'unchanged';
  if (changes.length && !options.force) {
    const shown = changes.slice(0, 5).map((c) => c.trim()).join(', ');
    throw new UserError(
      `${repo.path} has local changes (${shown}${changes.length > 5 ? `, … ${changes.length} in all` : ''}); refusing to ${head === repo.commit ? 'build from a modified checkout' : `move it to ${repo.commit.slice(0, 12)}`}`,
      'commit or stash them (e.g. into a bbappend in your own layer), or pass --force to discard them',
    );
  }
  if (changes.length) notes.push(`discarded local changes in ${repo.path} (--force)`);
  await git(['-C', dest, 'remote', 'set-url', 'origin', fetchUrl], options.git).catch(() => git(['-C', dest, 'remote', 'add', 'origin', fetchUrl], options.git));
  await ensureCommit(dest, repo, fetchUrl, options.git);
  await detachedCheckout(dest, repo.commit, options.force, options.git);
  return 'updated';
}

/** Fetches just the pinned commit; falls back to the branch for servers that refuse fetch-by-id. */
async function ensureCommit(dir: string, repo: PlannedGitRepo, fetchUrl: string, options: RunOptions): Promise<void> {
  if (await hasCommit(dir, repo.commit, options)) return;
  const byId = await gitProbe(['-C', dir, 'fetch', '-q', '--no-tags', '--depth', '1', 'origin', repo.commit], options);
  if (byId.ok && (await hasCommit(dir, repo.commit, options))) return;
  const refspec = repo.branch ? `+refs/heads/${repo.branch}:refs/remotes/origin/${repo.branch}` : '+refs/heads/*:refs/remotes/origin/*';
  const byBranch = await gitProbe(['-C', dir, 'fetch', '-q', '--tags', 'origin', refspec], options);
  if (await hasCommit(dir, repo.commit, options)) return;
  const where = describeUrl(repo.url, fetchUrl);
  if (!byBranch.ok && /not found|does not exist|Could not read|unable to access|not appear to be a git/i.test(byBranch.stderr)) {
    throw new UserError(`${repo.name}: cannot fetch from ${where}: ${lastLine(byBranch.stderr)}`, 'check the URL, or add --rewrite FROM=TO to fetch from a reachable mirror');
  }
  throw new UserError(
    `${repo.name}: commit ${repo.commit} is not in ${where}`,
    'the mirror is stale or the pin is wrong: update the mirror, or pin a commit it has (`vvehicle lock` resolves branches)',
  );
}

/** Every git repository of the plan; path repositories are used in place and never touched (not even by --force). */
export async function syncAll(repos: readonly PlannedRepo[], options: SyncOptions, progress?: (text: string) => void): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  for (const repo of repos) {
    if (repo.kind !== 'git') continue;
    progress?.(`${repo.name} @ ${repo.commit.slice(0, 12)}`);
    results.push(await syncRepo(repo, options));
  }
  return results;
}
