import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import type { RunOptions } from '../exec.js';
import type { PlannedGitRepo, PlannedPatch } from '../plan/types.js';
import { detachedCheckout, git, gitProbe, headCommit } from '../tools/git.js';

/**
 * kas's `patches`, applied on top of the pinned commit: a `git format-patch` mail with `git am` (its author and
 * message kept), a plain diff (a quilt patch) with `git apply` and a commit of ours. Committer name and dates are
 * fixed, so the same commit and patches always give the same HEAD. The checkout records what it was patched
 * with (.git/vvehicle-patches.json): a rerun with nothing changed applies nothing, a changed patch set is
 * applied afresh from the pinned commit, and a patch that does not apply leaves the checkout at that commit.
 */
const STATE_FILE = 'vvehicle-patches.json';
const IDENTITY = { GIT_COMMITTER_NAME: 'vvehicle', GIT_COMMITTER_EMAIL: 'vvehicle@localhost', GIT_AUTHOR_NAME: 'vvehicle', GIT_AUTHOR_EMAIL: 'vvehicle@localhost' };
// no hooks, no signing, no rerere: applying must not depend on the user's git configuration
const NEUTRAL = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', '-c', 'rerere.enabled=false', '-c', 'am.threeWay=false'];

export interface PatchState {
  base: string;
  patchesDigest: string;
  head: string;
}

function stateFile(dir: string): string {
  return join(dir, '.git', STATE_FILE);
}

export function readPatchState(dir: string): PatchState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as PatchState;
  } catch {
    return undefined;
  }
}

export function forgetPatchState(dir: string): void {
  rmSync(stateFile(dir), { force: true });
}

/** True when the checkout holds exactly this commit with exactly these patches applied (HEAD as recorded). */
export function isPatchedAsPlanned(dir: string, repo: PlannedGitRepo, head: string | undefined): boolean {
  const state = readPatchState(dir);
  return !!state && state.base === repo.commit && state.patchesDigest === repo.patchesDigest && state.head === head;
}

/** A mail as `git format-patch` writes it (git am keeps its author and message); anything else is a plain diff. */
function isMail(text: string): boolean {
  const end = text.search(/^(---|diff --git|Index:) /m);
  const header = end < 0 ? text : text.slice(0, end);
  return /^From [0-9a-f]{7,40} /.test(text) || (/^From: /m.test(header) && /^Subject: /m.test(header));
}

/** Applies every patch of `repo` to the clean checkout at its pinned commit; returns the patched HEAD. */
export async function applyPatches(dir: string, repo: PlannedGitRepo, options: RunOptions): Promise<string> {
  const patches = repo.patches ?? [];
  const date = (await git(['-C', dir, 'log', '-1', '--format=%cd', '--date=raw', repo.commit], options)).trim();
  const env = { ...options.env, ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  forgetPatchState(dir);
  rmSync(join(dir, '.git', 'rebase-apply'), { recursive: true, force: true }); // an am session a killed run left
  for (const patch of patches) {
    for (const file of patch.files) {
      const mail = isMail(readFileSync(file.path, 'utf8'));
      const attempt = mail
        ? await gitProbe(['-C', dir, ...NEUTRAL, 'am', '-q', '--committer-date-is-author-date', file.path], { ...options, env })
        : await gitProbe(['-C', dir, ...NEUTRAL, 'apply', '--index', '--whitespace=nowarn', file.path], { ...options, env });
      if (!attempt.ok) {
        await restoreBase(dir, repo, mail, options);
        throw notApplying(repo, patch, file.path, attempt.stderr || attempt.stdout);
      }
      if (!mail) {
        const message = `${patch.id}: ${basename(file.path)}\n\nApplied by vvehicle from ${file.path} (sha256 ${file.sha256}).`;
        await git(['-C', dir, ...NEUTRAL, 'commit', '-q', '--no-verify', '--allow-empty', '-m', message], { ...options, env });
      }
    }
  }
  const head = (await headCommit(dir, options))!;
  writeFileSync(stateFile(dir), `${JSON.stringify({ base: repo.commit, patchesDigest: repo.patchesDigest ?? '', head } satisfies PatchState)}\n`);
  return head;
}

/** After a failed patch: no am session left, HEAD back at the pinned commit, no stray files. */
async function restoreBase(dir: string, repo: PlannedGitRepo, mail: boolean, options: RunOptions): Promise<void> {
  // `am --abort` writes a reflog entry, so it needs an identity: on a machine with no git identity configured
  // (a fresh CI root) it fails with "Committer identity unknown" and leaves the session behind
  if (mail || existsSync(join(dir, '.git', 'rebase-apply'))) await gitProbe(['-C', dir, ...NEUTRAL, 'am', '--abort'], { ...options, env: { ...options.env, ...IDENTITY } });
  rmSync(join(dir, '.git', 'rebase-apply'), { recursive: true, force: true });
  await detachedCheckout(dir, repo.commit, true, options);
}

/** git's own error lines ("error: patch failed: README:1", "error: README: patch does not apply"). */
function gitErrors(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^(error|fatal):/.test(l));
  return (errors.length ? errors : lines.filter((l) => !l.startsWith('hint:')).slice(0, 2)).join('; ');
}

function notApplying(repo: PlannedGitRepo, patch: PlannedPatch, file: string, output: string): UserError {
  const which = patch.series ? `${basename(file)} (from the series in ${patch.entry})` : file;
  return new UserError(
    `${patch.declaredAt}: sources.repos.${repo.name}.patches.${patch.id}: ${which} does not apply to ${repo.name} at ${repo.commit.slice(0, 12)}: ${gitErrors(output)}`,
    `refresh the patch against that commit (git format-patch), or remove it; ${repo.path} was left at the pinned commit, unpatched`,
  );
}
