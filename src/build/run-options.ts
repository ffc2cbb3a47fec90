import { isAbsolute, resolve } from 'node:path';
import type { CommonOptions, CommandContext } from '../context.js';
import { UserError } from '../errors.js';
import { combineRules } from '../sources/rewrite.js';
import { runSignal } from '../signals.js';
import type { PipelineState } from '../stages/types.js';
import type { Engine } from '../tools/engine.js';
import { chooseEngine, requireFreeSpace, requireRunnableEngine, requireWritableWorkDir } from './preflight.js';

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
    debootstrapMirror: options.debootstrapMirror,
    signal: runSignal,
    notes: [],
  };
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
  const engine = await chooseEngine(options.engine ?? build.engine, [...build.engineArgs, ...(options.engineArg ?? [])]);
  if (need.probe !== false) await requireRunnableEngine(engine);
  state.engine = engine;
  return engine;
}
