import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decisiveLine, UserError } from '../errors.js';
import { gitProbe, hasCommit } from '../tools/git.js';
import type { RunOptions } from '../exec.js';

/**
 * Reference clones: one bare mirror per canonical URL, shared between work dirs (kas's
 * KAS_REPO_REF_DIR idea). Unlike kas we refresh them before use, and a reference that cannot be
 * refreshed is used only when it already holds the pinned commit — never silently stale.
 */
export function referenceName(canonicalUrl: string): string {
  const bare = canonicalUrl
    .replace(/^[a-z+]+:\/\//, '')
    .replace(/^[^@/]+@/, '')
    .replace(/\.git\/?$/, '')
    .replace(/\/+$/, '');
  return `${bare.replace(/[^A-Za-z0-9._-]+/g, '.')}.git`;
}

export interface ReferenceResult {
  path: string;
  /** Set when the reference could not be refreshed but still had the commit. */
  note?: string;
}

export async function prepareReference(
  referenceDir: string,
  repo: { name: string; url: string; commit: string },
  fetchUrl: string,
  options: RunOptions,
): Promise<ReferenceResult> {
  const path = join(referenceDir, referenceName(repo.url));
  if (!existsSync(path)) {
    mkdirSync(referenceDir, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const clone = await gitProbe(['clone', '-q', '--mirror', fetchUrl, tmp], options);
    if (!clone.ok) {
      rmSync(tmp, { recursive: true, force: true });
      throw new UserError(`${repo.name}: cannot create the reference clone ${path} from ${fetchUrl}: ${lastLine(clone.stderr)}`, 'check the URL or add a --rewrite rule to a reachable mirror');
    }
    renameSync(tmp, path);
  } else {
    const fetch = await gitProbe(['-C', path, 'fetch', '-q', '--prune', fetchUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], options);
    if (!fetch.ok) {
      if (await hasCommit(path, repo.commit, options)) {
        return { path, note: `reference ${path} could not be refreshed from ${fetchUrl} (${lastLine(fetch.stderr)}); it holds ${repo.commit.slice(0, 12)}, so it is used` };
      }
      throw new UserError(
        `${repo.name}: reference clone ${path} lacks commit ${repo.commit} and cannot be refreshed from ${fetchUrl}: ${lastLine(fetch.stderr)}`,
        'make the source reachable, add a --rewrite rule to a mirror that has the commit, or refresh the reference clone by hand',
      );
    }
  }
  if (!(await hasCommit(path, repo.commit, options))) {
    // a pinned commit off every branch (e.g. a Gerrit change): keep it under our own ref so gc keeps it
    await gitProbe(['-C', path, 'fetch', '-q', fetchUrl, `${repo.commit}:refs/vvehicle/pinned/${repo.commit}`], options);
  }
  if (!(await hasCommit(path, repo.commit, options))) {
    throw new UserError(`${repo.name}: commit ${repo.commit} is not in ${fetchUrl} (reference clone ${path})`, 'the pin is wrong or the mirror is stale: update the mirror, or pin a commit it has (vvehicle lock)');
  }
  return { path };
}

/** git's own line that says why (its "fatal: …", not a trailing hint), as every tool error shows it. */
export function lastLine(text: string): string {
  return decisiveLine(text, 'git') ?? 'no output';
}

export function referenceObjects(referencePath: string): string {
  return join(referencePath, 'objects');
}

export function ensureParent(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}
