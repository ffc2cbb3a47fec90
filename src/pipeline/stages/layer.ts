import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderLayer, writeLayer, type RenderedFile } from '../../layer/render.js';
import { shippedFilesFingerprint } from './shipped-files.js';
import type { PipelineState, Stage } from './types.js';

const rendered = new WeakMap<PipelineState, RenderedFile[]>();

function filesFor(state: PipelineState): RenderedFile[] {
  let files = rendered.get(state);
  if (!files) {
    files = renderLayer(state.context.loaded.config, state.context.plan);
    rendered.set(state, files);
  }
  return files;
}

/** meta-vvehicle, rewritten only when its rendered content changes (bitbake re-parses on new mtimes). */
export const layerStage: Stage = {
  id: 'layer',
  title: 'render meta-vvehicle',
  needsEngine: false,
  // the rendering is a function of these: a warm rerun compares them without rendering a file
  inputs: (state) => ({ config: state.context.loaded.config, plan: state.context.plan, shipped: shippedFilesFingerprint() }),
  outputsPresent: (state) => existsSync(join(state.context.workDir, state.context.plan.dirs.layer, 'conf/layer.conf')),
  async run(state, task) {
    const files = filesFor(state);
    state.notes.push(...(await writeLayer(join(state.context.workDir, state.context.plan.dirs.layer), files)));
    task.output = `${files.length} files in ${state.context.plan.dirs.layer}`;
  },
};
