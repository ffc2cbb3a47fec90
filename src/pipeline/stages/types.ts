import type { ListrTaskWrapper, ListrDefaultRenderer, ListrSimpleRenderer } from 'listr2';
import type { CommandContext } from '../../context.js';
import type { BuilderBase, BuilderRecord } from '../../container/builder-image.js';
import type { RewriteRule } from '../../sources/rewrite.js';
import type { Engine } from '../../tools/engine.js';
import type { StageId } from '../../plan/types.js';

/** What the stages of one run share. Filled as stages run (engine, builder image). */
export interface PipelineState {
  context: CommandContext;
  rules: RewriteRule[];
  referenceDir?: string;
  force: boolean;
  /** What our builder image is built from (flag, config, or the builder recorded in the work dir). */
  builderBase: BuilderBase;
  /** The engine chosen in preflight; absent when no selected stage needs one. */
  engine?: Engine;
  builder?: BuilderRecord;
  /** The bitbake log of this run (one per run). */
  bitbakeLog?: string;
  signal: AbortSignal;
  /** Human notes the command prints at the end (reference clones used stale, local.conf created, ...). */
  notes: string[];
  /** `build --force-stage S`: run these even when their inputs did not change. */
  forceStages?: readonly StageId[];
  /** `build --target/--task/-k/-- ARGS`: what the bitbake stage runs instead of `bitbake <image>`. */
  bitbakeInvocation?: BitbakeInvocation;
}

export interface BitbakeInvocation {
  target?: string;
  task?: string;
  continue?: boolean;
  extra: readonly string[];
}

export type StageTask = ListrTaskWrapper<PipelineState, ListrDefaultRenderer, ListrSimpleRenderer>;

/**
 * One stage: what it depends on (hashed; unchanged inputs with outputs still present → skipped) and
 * how it runs. `inputs` returning undefined means "always run" (cheap stages that check themselves).
 */
export interface Stage {
  id: StageId;
  title: string;
  needsEngine: boolean;
  inputs(state: PipelineState): Promise<unknown> | unknown;
  outputsPresent(state: PipelineState): Promise<boolean> | boolean;
  run(state: PipelineState, task: StageTask): Promise<void>;
}
