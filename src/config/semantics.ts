import type { Config } from './schema.js';
import type { LockFile } from './lock.js';
import type { PathSegment } from './yaml-source.js';
import { cacheProblems } from './cache-rules.js';

export interface SemanticProblem {
  path: PathSegment[];
  message: string;
}

/** Rules that span several keys (the schema checks each key alone). */
export function semanticProblems(config: Config, lock: LockFile | undefined, lockFile: string, requirePins = true): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const repos = config.sources.repos;
  for (const [name, repo] of Object.entries(repos)) {
    const path = ['sources', 'repos', name];
    const locked = lock?.repos[name];
    if (repo.path !== undefined || repo.url === undefined) {
      problems.push(...localRepoProblems(name, repo, repos));
      continue;
    }
    problems.push(...patchRepoProblems(name, repo, repos));
    if (!repo.commit && !repo.branch) {
      problems.push({ path, message: 'needs a commit (or a branch pinned by the lock file)' });
    } else if (!repo.commit && !locked && requirePins) {
      problems.push({ path: [...path, 'branch'], message: `branch "${repo.branch}" is not pinned: add a commit, or run \`vvehicle lock\` to write ${lockFile}` });
    } else if (repo.commit && locked && locked.commit !== repo.commit) {
      problems.push({ path: [...path, 'commit'], message: `the lock file pins ${locked.commit}; update the commit or rerun \`vvehicle lock\`` });
    } else if (!repo.commit && locked && locked.url !== repo.url) {
      problems.push({ path: [...path, 'url'], message: `the lock file was made for ${locked.url}; rerun \`vvehicle lock --update ${name}\`` });
    } else if (!repo.commit && locked && locked.branch !== repo.branch) {
      problems.push({ path: [...path, 'branch'], message: `the lock file pins branch ${locked.branch ?? '(none)'}; rerun \`vvehicle lock --update ${name}\`` });
    }
  }
  if (config.build.engineClient && config.build.engine === 'auto') {
    problems.push({ path: ['build', 'engineClient'], message: 'names one engine\'s client: set build.engine to docker or podman as well' });
  }
  const needsCoreLayer = Object.values(repos).some((r) => r.layers.includes('meta-agl-core'));
  if (!needsCoreLayer) problems.push({ path: ['sources', 'repos'], message: 'no repository provides the layer meta-agl-core (AGL is the base of every vvehicle image)' });

  const ebpf = config.components.ebpf;
  const clangTools = ebpf.enabled ? ebpf.tools.filter((t) => t === 'bcc' || t === 'bpftrace') : [];
  if (clangTools.length && !repos['meta-clang']) {
    problems.push({ path: ['components', 'ebpf', 'tools'], message: `${clangTools.join(' and ')} need the meta-clang repository in sources.repos` });
  }
  if (clangTools.length && !Object.values(repos).some((r) => r.layers.includes('meta-python'))) {
    problems.push({ path: ['components', 'ebpf', 'tools'], message: `${clangTools.join(' and ')} need the meta-python layer (meta-openembedded)` });
  }
  if (config.components.ueransim.enabled && !Object.values(repos).some((r) => r.layers.includes('meta-networking'))) {
    problems.push({ path: ['components', 'ueransim'], message: 'UERANSIM needs lksctp-tools from the meta-networking layer (meta-openembedded)' });
  }
  problems.push(...cacheProblems(config));
  if (config.image.target === config.image.base) {
    problems.push({ path: ['image', 'target'], message: `must differ from image.base (${config.image.base}): it is the recipe meta-vvehicle generates` });
  }
  return problems;
}

type Repos = Config['sources']['repos'];

/** A `path:` repository is used as it is: no url, no pin, and never patched (vvehicle does not modify it). */
function localRepoProblems(name: string, repo: Repos[string], repos: Repos): SemanticProblem[] {
  const path = ['sources', 'repos', name];
  if (repo.path === undefined) return [{ path, message: 'needs a url (a git repository to check out) or a path (a local directory used in place)' }];
  const problems: SemanticProblem[] = [];
  if (repo.url !== undefined) problems.push({ path: [...path, 'path'], message: 'a repository is either a git url (checked out) or a local path (used in place), not both: remove one' });
  for (const key of ['branch', 'commit'] as const) {
    if (repo[key] !== undefined) problems.push({ path: [...path, key], message: `a path repository is used as it is: ${key} does not apply (remove it, or give a url instead of the path)` });
  }
  if (repo.patches && Object.keys(repo.patches).length) {
    problems.push({ path: [...path, 'patches'], message: 'vvehicle never modifies a path repository: commit the change there (or give a url so the checkout can be patched)' });
  }
  return repo.url === undefined ? problems : problems.concat(patchRepoProblems(name, repo, repos));
}

/** A patch's `repo` must name a path repository: its files are read when the configuration is loaded. */
function patchRepoProblems(name: string, repo: Repos[string], repos: Repos): SemanticProblem[] {
  return Object.entries(repo.patches ?? {}).flatMap(([id, p]) => {
    if (p.repo === undefined) return [];
    const other = repos[p.repo];
    const at = ['sources', 'repos', name, 'patches', id, 'repo'];
    if (!other) return [{ path: at, message: `no repository "${p.repo}" in sources.repos` }];
    if (other.path === undefined) return [{ path: at, message: `"${p.repo}" is checked out from git: a patch may only come from a path repository or from next to the project file` }];
    return [];
  });
}
