import { buildPaths } from '../../bitbake/configure.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONVERT_RESULT_FILE } from '../../image/convert-result.js';
import { writeManifest } from '../../image/manifest.js';
import { DEFAULT_SMOKE_FILE } from '../../image/smoke-file.js';
import { readSmokeResult } from '../../image/smoke-input.js';
import { imageDirs, textOrNull } from './image-dirs.js';
import type { Stage } from './types.js';

export const manifestStage: Stage = {
  id: 'manifest',
  title: 'write and validate the manifest',
  needsEngine: false,
  inputs: (state) => {
    const { outDir } = imageDirs(state);
    return {
      convert: textOrNull(join(outDir, CONVERT_RESULT_FILE)),
      smoke: textOrNull(join(outDir, DEFAULT_SMOKE_FILE)),
      builder: state.builder?.id ?? null,
      plan: state.context.plan.configDigest,
    };
  },
  outputsPresent: (state) => existsSync(join(imageDirs(state).outDir, 'manifest.json')),
  async run(state, task) {
    const { plan, loaded } = state.context;
    const { outDir } = imageDirs(state);
    const smokeFile = join(outDir, DEFAULT_SMOKE_FILE);
    const { path, leftovers } = await writeManifest({
      plan,
      dir: outDir,
      boot: { memoryMiB: loaded.config.smoke.memoryMiB, cpus: loaded.config.smoke.cpus },
      localConf: join(buildPaths(plan, state.context.workDir).conf, 'local.conf'),
      ...(existsSync(smokeFile) ? { smoke: readSmokeResult(smokeFile) } : {}),
      ...(state.builder ? { builderImageId: state.builder.id } : {}),
    });
    state.notes.push(...leftovers);
    task.output = path;
  },
};
