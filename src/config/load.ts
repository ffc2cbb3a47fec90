import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { DEFAULT_PROFILE, embeddedProfilesDir, LOCK_FILE, PROJECT_FILE } from '../package-paths.js';
import { configSchema, EXTENDS_KEY, type Config } from './schema.js';
import { lockSchema, type LockFile } from './lock.js';
import { isPlainObject, mergeProfiles } from './merge.js';
import { locateIn, readYamlSource, type PathSegment, type YamlSource } from './yaml-source.js';
import { semanticProblems } from './semantics.js';
import { dropInheritedPins, resolvePins } from './component-pins.js';
import { readLocalInputs, type LocalInputs } from './local-inputs.js';

export interface LoadedConfig {
  config: Config;
  /** Name of the profile at the root of the extends chain (or the project file's name). */
  profile: string;
  /** The project file, absent when the embedded default is used. */
  configFile?: string;
  /** Directory relative paths in the config resolve against. */
  baseDir: string;
  lock?: LockFile;
  /** Where the lock file of this configuration is (or would be written). */
  lockFile: string;
  /** Files read, most derived first. */
  files: string[];
  /** `path:` repositories and patch files, resolved and hashed. */
  localInputs: LocalInputs;
}

export interface LoadOptions {
  /** -c/--config; when absent, ./vvehicle.yml if present, else the embedded default profile. */
  configPath?: string | string[];
  cwd: string;
  /** For `vvehicle lock`: ignore the lock file and accept branches not pinned yet (it is about to pin them). */
  ignoreLock?: boolean;
  /** For `vvehicle plan`: read the lock file, but accept branches it does not pin yet (shown as unpinned). */
  allowUnpinned?: boolean;
}

/** The lock file of a project file, as kas names it: ci.yml → ci.lock.yml (vvehicle.lock.yml without one). */
export function lockFileFor(configFile: string | undefined, cwd: string): string {
  if (!configFile) return join(cwd, LOCK_FILE);
  return join(dirname(configFile), `${basename(configFile).replace(/\.ya?ml$/, '')}.lock.yml`);
}

/** Reads and validates a lock file; undefined when there is none. */
export function readLockFile(lockFile: string, cwd: string): LockFile | undefined {
  if (!existsSync(lockFile)) return undefined;
  const { source, problems: lockProblems } = readYamlSource(lockFile, display(lockFile, cwd));
  if (!source) throw new ConfigError(lockProblems);
  const lockParsed = lockSchema.safeParse(source.value, { reportInput: true });
  if (!lockParsed.success) throw new ConfigError(zodProblems(lockParsed.error, (p, k) => locateFirst([source], p, k)));
  return lockParsed.data;
}

/** Reads, merges and validates a configuration; throws one ConfigError listing every problem. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const configFiles = pickConfigFiles(options);
  const configFile = configFiles[0];
  const problems: ConfigProblem[] = [];
  const chain = composeChain(configFiles.length ? configFiles : [join(embeddedProfilesDir, `${DEFAULT_PROFILE}.yml`)], options.cwd, problems);
  if (problems.length) throw new ConfigError(problems);

  const merged = dropInheritedPins(
    chain.reduceRight<unknown>((acc, src) => mergeProfiles(acc, withoutExtends(src.value)), {}),
    chain,
  );
  const locate = (path: readonly PathSegment[], atKey = false) => locateFirst(chain, path, atKey);
  const located = (problems: { path: PathSegment[]; message: string }[]) =>
    problems.map(({ path, message }) => ({ ...locate(path), path: path.join('.'), message })).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);

  const parsed = configSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw new ConfigError(missingExtends(zodProblems(parsed.error, locate), configFile && chain.length === 1 ? chain[0]! : undefined));
  const pinned = resolvePins(parsed.data);
  if (!pinned.config) throw new ConfigError(located(pinned.problems));
  const config = pinned.config;

  const baseDir = configFile ? dirname(configFile) : options.cwd;
  const lockFile = lockFileFor(configFile, options.cwd);
  const lock = options.ignoreLock ? undefined : readLockFile(lockFile, options.cwd);

  const semantic = located(semanticProblems(config, lock, display(lockFile, options.cwd), !options.ignoreLock && !options.allowUnpinned));
  if (semantic.length) throw new ConfigError(semantic);
  const local = readLocalInputs(config, (path) => locate(path), options.cwd);
  if (local.problems.length) throw new ConfigError(local.problems);

  const root = chain[chain.length - 1]!;
  return {
    config,
    profile: configFile && chain.length === 1 ? 'project' : profileName(root.file),
    configFile,
    baseDir,
    lock,
    lockFile,
    files: chain.map((c) => c.file),
    localInputs: local.inputs,
  };
}

/**
 * `-c a.yml -c b.yml` and `-c a.yml:b.yml` (kas's form) both mean: a, then b on top. Without -c:
 * ./vvehicle.yml when present, else nothing (the embedded default profile).
 */
function pickConfigFiles({ configPath, cwd }: LoadOptions): string[] {
  const given = (Array.isArray(configPath) ? configPath : configPath ? [configPath] : []).flatMap((c) => c.split(':')).filter((c) => c !== '');
  if (given.length) return given.map((c) => resolve(cwd, c));
  const implicit = join(cwd, PROJECT_FILE);
  return existsSync(implicit) ? [implicit] : [];
}

/**
 * The files to merge, most derived first: each file's extends chain, the files in command-line order, a file
 * already taken (a profile two files extend) taken once, at its first place, so a later file's `extends`
 * does not re-apply the profile over what an earlier file changed (kas does the same with includes).
 */
function composeChain(files: string[], cwd: string, problems: ConfigProblem[]): YamlSource[] {
  const order: YamlSource[] = [];
  const taken = new Set<string>();
  for (const file of files) {
    const chain: YamlSource[] = [];
    collectChain(file, cwd, chain, problems, []);
    for (const src of chain.reverse()) {
      if (taken.has(src.file)) continue;
      taken.add(src.file);
      order.push(src);
    }
  }
  return order.reverse();
}

function profileName(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
}

function display(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

function withoutExtends(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { [EXTENDS_KEY]: _ignored, ...rest } = value;
  return rest;
}

/** Follows `extends:` from the most derived file to the root profile. */
function collectChain(file: string, cwd: string, chain: YamlSource[], problems: ConfigProblem[], seen: string[]): void {
  const { source, problems: readProblems } = readYamlSource(file, display(file, cwd));
  if (!source) {
    problems.push(...readProblems);
    return;
  }
  chain.push(source);
  const parent = (source.value as Record<string, unknown>)[EXTENDS_KEY];
  if (parent === undefined) return;
  const where = locateIn(source, [EXTENDS_KEY]) ?? { line: 1, col: 1 };
  const at = (message: string) => problems.push({ file: source.file, ...where, path: EXTENDS_KEY, message });
  if (typeof parent !== 'string' || !/^[A-Za-z0-9._/-]+$/.test(parent)) {
    at('must be a profile name (e.g. gateway-qemuarm64) or a relative path to a .yml file');
    return;
  }
  const target = resolveProfile(parent, dirname(file));
  if (!target) {
    at(`profile "${parent}" not found (looked in ./profiles/ next to this file and in the embedded profiles: ${embeddedNames()})`);
    return;
  }
  if ([...seen, file].includes(target)) {
    at(`extends cycle: ${[...seen, file, target].map((f) => profileName(f)).join(' -> ')}`);
    return;
  }
  collectChain(target, cwd, chain, problems, [...seen, file]);
}

function resolveProfile(name: string, fromDir: string): string | undefined {
  if (name.includes('/') || /\.ya?ml$/.test(name)) {
    const p = isAbsolute(name) ? name : resolve(fromDir, name);
    return existsSync(p) ? p : undefined;
  }
  return [join(fromDir, 'profiles', `${name}.yml`), join(embeddedProfilesDir, `${name}.yml`)].find((p) => existsSync(p));
}

function embeddedNames(): string {
  return DEFAULT_PROFILE;
}

/** The most derived file that mentions the path (or its closest written parent) gives the location. */
function locateFirst(chain: YamlSource[], path: readonly PathSegment[], atKey = false): { file: string; line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    for (const src of chain) {
      const pos = locateIn(src, prefix, atKey && depth === path.length);
      if (pos) return { file: src.file, ...pos };
    }
  }
  return { file: chain[0]?.file ?? '(config)', line: 1, col: 1 };
}

/**
 * A file without `extends` is a complete profile of its own (as a kas file without includes is):
 * nothing is merged into it silently. A project file that is not complete almost always just
 * forgot `extends`: one message that says so replaces the wall of "is required" lines.
 */
function missingExtends(problems: ConfigProblem[], rootProjectFile: YamlSource | undefined): ConfigProblem[] {
  const missing = problems.filter((p) => p.message.startsWith('is required'));
  if (!rootProjectFile || missing.length === 0) return problems;
  const keys = [...new Set(missing.map((p) => p.path.split('.')[0]!))];
  const summary: ConfigProblem = {
    file: rootProjectFile.file,
    line: 1,
    col: 1,
    path: EXTENDS_KEY,
    message: `no "extends", and not a complete profile (missing ${keys.join(', ')}): add "extends: ${DEFAULT_PROFILE}" as the first line to change only what differs from the default profile`,
  };
  return [summary, ...problems.filter((p) => !missing.includes(p))];
}

type Locator = (path: readonly PathSegment[], atKey?: boolean) => { file: string; line: number; col: number };

export function zodProblems(error: z.ZodError, locate: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ ...locate([...path, key], true), path: [...path, key].join('.'), message: `unknown key "${key}"` });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // a bad record key (e.g. a repository name): point at the key, say what a key must look like
      const reason = issue.issues[0]?.message ?? issue.message;
      problems.push({ ...locate(path, true), path: path.join('.'), message: reason });
      continue;
    }
    problems.push({ ...locate(path), path: path.join('.'), message: humanMessage(issue) });
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `is required (${issue.expected})`;
    return `must be ${issue.expected}, got ${Array.isArray(received) ? 'array' : received === null ? 'null' : typeof received}`;
  }
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}
