import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_PROFILE, embeddedProfilesDir } from '../../src/package-paths.js';
import type { Config } from '../../src/config/schema.js';
import { git } from '../../src/tools/git.js';

const identity = ['-c', 'user.name=vvehicle test', '-c', 'user.email=test@vvehicle.invalid', '-c', 'commit.gpgsign=false'];

export interface TestRepo {
  /** Path of the bare repository that plays the upstream or mirror. */
  bare: string;
  url: string;
  /** Commits in order, oldest first. */
  commits: string[];
  /** Adds a commit on the branch upstream and returns its id. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
}

/** A real bare git repository in `root`, fed by a work tree next to it. */
export async function makeRepo(root: string, name: string, files: Record<string, string>, branch = 'main'): Promise<TestRepo> {
  const work = join(root, `${name}-work`);
  const bare = join(root, `${name}.git`);
  await git(['init', '-q', '-b', branch, work]);
  await git(['init', '-q', '--bare', '-b', branch, bare]);
  await git(['-C', work, 'remote', 'add', 'origin', bare]);
  const repo: TestRepo = {
    bare,
    url: `file://${bare}`,
    commits: [],
    async commit(more, message = 'update') {
      for (const [path, content] of Object.entries(more)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        writeFileSync(join(work, path), content);
      }
      await git(['-C', work, 'add', '-A']);
      await git(['-C', work, ...identity, 'commit', '-q', '-m', message]);
      await git(['-C', work, 'push', '-q', 'origin', branch]);
      const id = (await git(['-C', work, 'rev-parse', 'HEAD'])).trim();
      repo.commits.push(id);
      return id;
    },
  };
  await repo.commit(files, 'initial');
  return repo;
}

/**
 * The repos of the embedded profile, with their layer directories, each with a conf/layer.conf placeholder
 * holding the real layer's BBFILE_COLLECTIONS line (the pinned checkouts' names, which `check` reports).
 */
export const PROFILE_REPOS: Record<string, { url: string; layers: string[]; collections: string[] }> = {
  poky: { url: 'https://git.yoctoproject.org/poky', layers: ['meta', 'meta-poky'], collections: ['core', 'yocto'] },
  'meta-lts-mixins': { url: 'https://git.yoctoproject.org/meta-lts-mixins', layers: ['.'], collections: ['scarthgap-rust-mixin'] },
  'meta-openembedded': {
    url: 'https://git.openembedded.org/meta-openembedded',
    layers: ['meta-oe', 'meta-python', 'meta-networking', 'meta-filesystems'],
    collections: ['openembedded-layer', 'meta-python', 'networking-layer', 'filesystems-layer'],
  },
  'meta-clang': { url: 'https://github.com/kraj/meta-clang', layers: ['.'], collections: ['clang-layer'] },
  'meta-agl': { url: 'https://gerrit.automotivelinux.org/gerrit/AGL/meta-agl', layers: ['meta-agl-core', 'meta-agl-bsp'], collections: ['aglcore', 'aglbsp'] },
};

export interface FakeSources {
  repos: Record<string, TestRepo>;
  /** --rewrite flags from each canonical URL to its local bare repo. */
  rewriteFlags: string[];
}

/** Local stand-ins for the profile's five layer repositories, reachable only through rewrite rules. */
export async function makeFakeSources(root: string): Promise<FakeSources> {
  const repos: Record<string, TestRepo> = {};
  for (const [name, { layers, collections }] of Object.entries(PROFILE_REPOS)) {
    const files = Object.fromEntries(layers.map((l, i) => [join(l, 'conf/layer.conf'), `# ${name}/${l} placeholder\nBBFILE_COLLECTIONS += "${collections[i]}"\n`]));
    repos[name] = await makeRepo(root, name, files);
  }
  const rewriteFlags = Object.entries(PROFILE_REPOS).map(([name, { url }]) => `${url}=${repos[name]!.url}`);
  return { repos, rewriteFlags };
}

/**
 * A standalone vvehicle.yml: the embedded profile with its repos pinned to the fake repos' commits
 * (`branchOnly` names repos left to the lock file) and `edit` applied last.
 */
export function writeProjectFile(dir: string, sources: FakeSources, edit: (config: Config) => void = () => {}, branchOnly: string[] = []): string {
  const config = parse(readFileSync(join(embeddedProfilesDir, `${DEFAULT_PROFILE}.yml`), 'utf8')) as Config;
  for (const [name, repo] of Object.entries(sources.repos)) {
    const entry = config.sources.repos[name]!;
    entry.branch = 'main';
    if (branchOnly.includes(name)) delete entry.commit;
    else entry.commit = repo.commits[repo.commits.length - 1];
  }
  edit(config);
  const file = join(dir, 'vvehicle.yml');
  writeFileSync(file, stringify(config));
  return file;
}
