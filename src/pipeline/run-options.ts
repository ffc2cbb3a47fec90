import { isAbsolute, join, resolve } from 'node:path';
import type { CommonOptions, CommandContext } from '../context.js';
import { UserError } from '../errors.js';
import { combineRules } from '../sources/rewrite.js';
import { acquireLock } from '../files/process-lock.js';
import { onCleanup, runSignal } from '../signals.js';
import type { PipelineState } from './stages/types.js';
import type { Engine } from '../tools/engine.js';
import { readBuilderRecord } from './stages/builder.js';
import { resolveBuilderBase } from '../container/builder-image.js';
import { removeOrphanContainer } from '../container/container.js';
import { chooseEngine, requireFreeSpace, requireRunnableEngine, requireWritableWorkDir } from '../container/preflight.js';

/** Flags of every command that touches sources. */
export interface SourceOptions {
  rewrite?: string[];
  referenceDir?: string;
  force?: boolean;
}

/** Flags of every command that runs the container engine. */
export interface EngineOptions {
  engine?: 'auto' | 'docker' | 'podman';
  engineArg?: string[];
  engineClient?: string;
  debootstrapMirror?: string;
  minFreeGib?: string;
}

export type RunOptions = CommonOptions & SourceOptions & EngineOptions;

export function pipelineState(context: CommandContext, options: SourceOptions & EngineOptions): PipelineState {
  const sources = context.loaded.config.sources;
  // --reference-dir is relative to where the user is; sources.referenceDir to the config file
  const referenceDir = options.referenceDir
    ? resolve(context.cwd, options.referenceDir)
    : sources.referenceDir
      ? isAbsolute(sources.referenceDir) ? sources.referenceDir : resolve(context.loaded.baseDir, sources.referenceDir)
      : undefined;
  return {
    context,
    rules: combineRules(sources.rewrite, options.rewrite),
    referenceDir,
    force: options.force ?? false,
    builderBase: resolveBuilderBase(debootstrapMirror(options.debootstrapMirror), context.loaded.config.build.builderBase, readBuilderRecord(context.workDir)),
    signal: runSignal,
    notes: [],
  };
}

function debootstrapMirror(flag: string | undefined): string | undefined {
  if (flag !== undefined && !/^(https?|file):\/\/\S+$/.test(flag)) {
    throw new UserError(`--debootstrap-mirror ${flag}: must be an http(s):// or file:// Debian mirror URL`, 'e.g. --debootstrap-mirror http://deb.debian.org/debian');
  }
  return flag;
}

/** --engine-client, else build.engineClient unless --engine picked another engine than build.engine. */
export function engineClient(options: Pick<EngineOptions, 'engine' | 'engineClient'>, build: { engine: string; engineClient?: string }): string | undefined {
  if (options.engineClient) return options.engineClient;
  return options.engine && options.engine !== build.engine ? undefined : build.engineClient;
}

export function parseMinFree(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`--min-free-gib ${value}: expected a number of GiB`);
  return n;
}


/** Everything that can be refused before a byte is written: work dir, disk, engine. */
export async function preflight(
  state: PipelineState,
  options: EngineOptions,
  need: { engine: boolean; minFreeGiB: number; /** false when earlier runs proved the engine (saves a container start) */ probe?: boolean },
): Promise<Engine | undefined> {
  const { workDir, loaded } = state.context;
  requireWritableWorkDir(workDir);
  requireFreeSpace(workDir, need.minFreeGiB);
  if (!need.engine) return undefined;
  const build = loaded.config.build;
  const engine = await chooseEngine(options.engine ?? build.engine, [...build.engineArgs, ...(options.engineArg ?? [])], engineClient(options, build));
  if (need.probe !== false) await requireRunnableEngine(engine);
  state.engine = engine;
  return engine;
}

/**
 * Runs `fn` holding <work>/.lock: two runs on one work dir would share bitbake's TOPDIR and the stage
 * records, so the second is refused with the first one's pid. A lock left by a killed run is taken over.
 */
export async function withWorkDirLock<T>(state: PipelineState, fn: () => Promise<T>): Promise<T> {
  const workDir = state.context.workDir;
  requireWritableWorkDir(workDir);
  const lock = acquireLock(join(workDir, '.lock'), `work directory ${workDir}`);
  const forget = onCleanup(() => lock.release());
  try {
    if (lock.recovered) state.notes.push(lock.recovered);
    const orphan = await removeOrphanContainer(workDir);
    if (orphan) state.notes.push(orphan);
    return await fn();
  } finally {
    lock.release();
    forget();
  }
}
