import { isAbsolute, join } from 'node:path';
import type { PlannedRepo } from './types.js';

/** Where a repository is on the host: its checkout in the work dir, or a path repository's own directory. */
export function repoDir(workDir: string, repo: Pick<PlannedRepo, 'path'>): string {
  return isAbsolute(repo.path) ? repo.path : join(workDir, repo.path);
}

/** What a repository's content is, as one string: a stage whose input it is reruns when it changes. */
export function repoRevision(repo: PlannedRepo<string | null>): string {
  if (repo.kind === 'local') return `local:sha256:${repo.content.sha256}`;
  return `${repo.commit ?? 'unpinned'}${repo.patchesDigest ? `+patches:${repo.patchesDigest}` : ''}`;
}

/** A short human label: `1d54d1c4736a`, `1d54d1c4736a + 2 patches`, `/src/meta-inhouse (git 0a1b2c3d4e5f, dirty)`. */
export function revisionLabel(repo: PlannedRepo<string | null>): string {
  if (repo.kind === 'local') {
    const c = repo.content;
    return `${repo.path} (${c.kind === 'git' ? `git ${c.commit.slice(0, 12)}${c.dirty ? ', dirty' : ''}` : `directory sha256:${c.sha256.slice(0, 12)}`})`;
  }
  const n = repo.patches?.reduce((sum, p) => sum + p.files.length, 0) ?? 0;
  return `${repo.commit?.slice(0, 12) ?? 'UNPINNED'}${n ? ` + ${n} patch${n === 1 ? '' : 'es'}` : ''}`;
}
