import { bitbakeStage } from './bitbake.js';
import { builderStage } from './builder.js';
import { configureStage } from './configure.js';
import { convertStage } from './convert.js';
import { layerStage } from './layer.js';
import { manifestStage } from './manifest.js';
import { publishStage } from './publish.js';
import { smokeStage } from './smoke.js';
import { sourcesStage } from './sources.js';
import type { Stage } from './types.js';

/** The stages `vvehicle build` runs, in the plan's order and with its ids. */
export const PIPELINE: readonly Stage[] = [layerStage, sourcesStage, configureStage, builderStage, bitbakeStage, convertStage, smokeStage, manifestStage, publishStage];
