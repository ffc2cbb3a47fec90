import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { embeddedProfilesDir, LOCK_FILE, packageRoot, PROJECT_FILE } from '../package-paths.js';
import type { LoadedConfig } from './load.js';

/**
 * The embedded default profile as `npm run build` loaded and validated it. A command that needs only the
 * configuration (smoke) takes it from here when nothing on disk changes it (no -c, no ./vvehicle.yml, no
 * lock file): it then starts without compiling yaml, zod and the schema, ~70 ms before QEMU can start.
 * The record is used only while every profile file it was made from has the same sha256 (as the
 * precompiled templates are).
 */
export const PRELOADED_DEFAULT_FILE = join(packageRoot, 'dist', 'default-profile.loaded.json');

interface PreloadedDefault {
  /** The profile files read (base names under profiles/), most derived first, with their sha256. */
  files: { name: string; sha256: string }[];
  loaded: Pick<LoadedConfig, 'config' | 'profile' | 'localInputs'>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What the build writes: `loaded` is loadConfig's result for a directory with no project or lock file. */
export function writePreloadedDefault(loaded: LoadedConfig, file = PRELOADED_DEFAULT_FILE): void {
  const record: PreloadedDefault = {
    files: loaded.files.map((f) => ({ name: basename(f), sha256: sha256(readFileSync(f, 'utf8')) })),
    loaded: { config: loaded.config, profile: loaded.profile, localInputs: loaded.localInputs },
  };
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * loadConfig's result for `cwd` when it would load only the embedded default profile and its record is
 * current; undefined otherwise (then load it).
 */
export function preloadedDefault(options: { configPath?: string | string[]; cwd: string }, file = PRELOADED_DEFAULT_FILE): LoadedConfig | undefined {
  const given = Array.isArray(options.configPath) ? options.configPath.join('') : (options.configPath ?? '');
  if (given !== '' || existsSync(join(options.cwd, PROJECT_FILE)) || existsSync(join(options.cwd, LOCK_FILE)) || !existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, 'utf8')) as PreloadedDefault;
  const files = record.files.map((f) => ({ ...f, path: join(embeddedProfilesDir, f.name) }));
  if (!files.every((f) => existsSync(f.path) && sha256(readFileSync(f.path, 'utf8')) === f.sha256)) return undefined;
  return { ...record.loaded, baseDir: options.cwd, lockFile: join(options.cwd, LOCK_FILE), files: files.map((f) => f.path) };
}
