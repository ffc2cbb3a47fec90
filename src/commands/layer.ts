import { resolve } from 'node:path';
import { renderLayer, writeLayer } from '../layer/render.js';
import { openContext, type CommonOptions } from '../context.js';

export interface LayerOptions extends CommonOptions {
  /** Output directory; default <work-dir>/layers/meta-vvehicle. */
  out?: string;
}

/**
 * `vvehicle layer`: renders meta-vvehicle and writes it atomically. The summary names the directory and
 * what is in it, never a value of the configuration (the UE key and OPc are in there).
 */
export async function layerCommand(options: LayerOptions, cwd = process.cwd()): Promise<string> {
  const { loaded, plan, workDir } = openContext(options, cwd);
  const outDir = options.out ? resolve(cwd, options.out) : resolve(workDir, plan.dirs.layer);
  const files = renderLayer(loaded.config, plan);
  await writeLayer(outDir, files);
  const recipes = files.filter((f) => f.path.endsWith('.bb')).length;
  return `meta-vvehicle: ${files.length} files (${recipes} recipes) written to ${outDir}`;
}
