import { bitbakeStage } from './bitbake.js';
import { builderStage } from './builder.js';
import { configureStage } from './configure.js';
import { layerStage } from './layer.js';
import { sourcesStage } from './sources.js';
import type { Stage } from './types.js';

/** The stages `vvehicle build` runs, in order (ids as in the plan). */
export const PIPELINE: readonly Stage[] = [layerStage, sourcesStage, configureStage, builderStage, bitbakeStage];
