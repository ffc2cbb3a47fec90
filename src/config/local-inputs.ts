import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { gitSyncProbe } from '../tools/git.js';
import type { Config } from './schema.js';

/**
 * What a configuration reads from the host besides its own files: `path:` repositories (used in place) and
 * patch files. Read once while the configuration loads, so the plan stays a pure function of what it is given
 * and the config digest covers the content, not just the names.
 */
export type LocalContent =
  /** A git work tree (or a directory inside one): HEAD for provenance; the digest covers the directory's tree at HEAD plus its uncommitted changes. */
  | { kind: 'git'; commit: string; dirty: boolean; sha256: string }
  /** A plain directory: the digest covers every file's path, type and content. */
  | { kind: 'dir'; sha256: string };

export interface LocalRepo {
  /** Absolute directory, used in place. */
  dir: string;
  content: LocalContent;
}

export interface PatchFile {
  /** Absolute path of the file applied. */
  path: string;
  sha256: string;
}

export interface LocalPatch {
  /** kas's <patches-id>: patches apply in the order of their ids. */
  id: string;
  /** file:line:col of the patch's `path` in the configuration, for messages. */
  declaredAt: string;
  /** The patch file, or the quilt directory whose `series` lists the files. */
  entry: string;
  series: boolean;
  files: PatchFile[];
}

export interface LocalInputs {
  repos: Record<string, LocalRepo>;
  patches: Record<string, LocalPatch[]>;
}

type Locate = (path: (string | number)[]) => { file: string; line: number; col: number };

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Resolves every `path:` repository and patch against the directory of the file that sets it (or, for a patch
 * with `repo`, against that path repository), checks that each exists, and hashes their content.
 */
export function readLocalInputs(config: Config, locate: Locate, cwd: string): { inputs: LocalInputs; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push({ ...locate(path), path: path.join('.'), message });
  const fromFileOf = (path: (string | number)[], value: string) => (isAbsolute(value) ? value : resolve(dirname(resolve(cwd, locate(path).file)), value));

  const repos: Record<string, LocalRepo> = {};
  for (const [name, repo] of Object.entries(config.sources.repos)) {
    if (repo.path === undefined || repo.url !== undefined) continue;
    const key = ['sources', 'repos', name, 'path'];
    const dir = fromFileOf(key, repo.path).replace(/\/+$/, '') || '/';
    if (!existsSync(dir)) {
      at(key, `directory ${dir} does not exist (a relative path is from the directory of the file that sets it)`);
      continue;
    }
    if (!statSync(dir).isDirectory()) {
      at(key, `${dir} is not a directory`);
      continue;
    }
    const missing = repo.layers.filter((l) => !existsSync(join(dir, l, 'conf/layer.conf')));
    for (const layer of missing) at(['sources', 'repos', name, 'layers', repo.layers.indexOf(layer)], `${join(dir, layer)} is not a layer (no conf/layer.conf)`);
    repos[name] = { dir, content: contentOf(dir) };
  }

  const patches: Record<string, LocalPatch[]> = {};
  for (const [name, repo] of Object.entries(config.sources.repos)) {
    if (!repo.patches || repo.url === undefined || repo.path !== undefined) continue;
    const list: LocalPatch[] = [];
    for (const id of Object.keys(repo.patches).sort()) {
      const p = repo.patches[id]!;
      const key = ['sources', 'repos', name, 'patches', id, 'path'];
      const base = p.repo ? repos[p.repo]?.dir : undefined;
      if (p.repo && !base) continue; // the path repository itself was refused above
      const entry = base ? resolve(base, p.path) : fromFileOf(key, p.path);
      const where = locate(key);
      const declaredAt = `${where.file}:${where.line}:${where.col}`;
      if (!existsSync(entry)) {
        at(key, `patch ${entry} does not exist${p.repo ? ` (relative to path repository ${p.repo})` : ' (a relative path is from the directory of the file that sets it)'}`);
        continue;
      }
      if (statSync(entry).isFile()) {
        list.push({ id, declaredAt, entry, series: false, files: [{ path: entry, sha256: sha256(readFileSync(entry)) }] });
        continue;
      }
      const series = join(entry, 'series');
      if (!existsSync(series)) {
        at(key, `${entry} is a directory without a quilt "series" file: give a .patch file or a quilt patch directory`);
        continue;
      }
      const { files, problem } = seriesFiles(entry, readFileSync(series, 'utf8'));
      if (problem) at(key, problem);
      else list.push({ id, declaredAt, entry, series: true, files });
    }
    patches[name] = list;
  }
  return { inputs: { repos, patches }, problems };
}

/** quilt's series file as kas reads it: one patch per line, `#` comments, options after the name ignored. */
function seriesFiles(dir: string, text: string): { files: PatchFile[]; problem?: string } {
  const files: PatchFile[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const name = lines[i]!.replace(/\s#.*$/, '').trim().split(/\s+/)[0] ?? '';
    if (name === '' || name.startsWith('#')) continue;
    const file = resolve(dir, name);
    if (!existsSync(file) || !statSync(file).isFile()) return { files, problem: `${join(dir, 'series')} line ${i + 1} names ${name}, which is not a file in ${dir}` };
    files.push({ path: file, sha256: sha256(readFileSync(file)) });
  }
  if (!files.length) return { files, problem: `${join(dir, 'series')} lists no patches` };
  return { files };
}

/**
 * A git work tree is hashed by what git knows: the directory's tree at HEAD, the diff of its tracked files
 * against HEAD and its untracked (not ignored) files. So committing elsewhere in an enclosing repository does
 * not change the digest, and any edit here does. Anything else is hashed file by file.
 */
export function contentOf(dir: string): LocalContent {
  const commit = gitSyncProbe(dir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'])?.trim();
  const prefix = commit ? gitSyncProbe(dir, ['rev-parse', '--show-prefix'])?.trim() : undefined;
  if (!commit || prefix === undefined) return { kind: 'dir', sha256: sha256(treeListing(dir, '')) };
  const tree = gitSyncProbe(dir, ['rev-parse', `HEAD:${prefix}`])?.trim() ?? '';
  const diff = gitSyncProbe(dir, ['diff', 'HEAD', '--binary', '--no-ext-diff', '--no-textconv', '--no-color', '--', '.']) ?? '';
  const untracked = (gitSyncProbe(dir, ['ls-files', '--others', '--exclude-standard', '-z', '--', '.']) ?? '').split('\0').filter(Boolean).sort();
  const hash = createHash('sha256').update(`tree ${tree}\n`).update(diff);
  for (const file of untracked) hash.update(`\0untracked ${file}\0`).update(entryDigest(join(dir, file)));
  return { kind: 'git', commit, dirty: diff !== '' || untracked.length > 0, sha256: hash.digest('hex') };
}

function entryDigest(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 'missing';
  return st.isFile() ? sha256(readFileSync(path)) : 'other';
}

/** Every entry below dir, sorted: type, relative path, content hash (files) or target (links), exec bit. */
function treeListing(dir: string, rel: string): string {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    const full = join(dir, path);
    if (e.isSymbolicLink()) out.push(`l ${path} ${readlinkSync(full)}`);
    else if (e.isDirectory()) out.push(`d ${path}`, treeListing(dir, path));
    else if (e.isFile()) out.push(`f ${path} ${(statSync(full).mode & 0o111) !== 0 ? 'x' : '-'} ${sha256(readFileSync(full))}`);
  }
  return out.join('\n');
}

/** One digest of everything local a configuration reads: part of the config digest. */
export function localInputsDigest(inputs: LocalInputs): Record<string, unknown> | undefined {
  const repos = Object.fromEntries(Object.entries(inputs.repos).map(([n, r]) => [n, r.content.sha256]));
  const patches = Object.fromEntries(Object.entries(inputs.patches).filter(([, l]) => l.length).map(([n, l]) => [n, l.map((p) => ({ id: p.id, files: p.files.map((f) => f.sha256) }))]));
  return Object.keys(repos).length || Object.keys(patches).length ? { repos, patches } : undefined;
}

/** The digest of one repository's patches: what the checkout records it was patched with. */
export function patchesDigest(list: readonly { id: string; files: readonly { sha256: string }[] }[]): string {
  return sha256(JSON.stringify(list.map((p) => [p.id, p.files.map((f) => f.sha256)])));
}
