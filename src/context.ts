import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { buildPlan } from './plan/build-plan.js';
import type { BuildPlan } from './plan/types.js';

/** Options every command takes. */
export interface CommonOptions {
  config?: string;
  workDir?: string;
  debug?: boolean;
}

export interface CommandContext {
  loaded: LoadedConfig;
  plan: BuildPlan;
  /** Absolute work directory. */
  workDir: string;
  cwd: string;
}

export const DEFAULT_WORK_DIR = 'vvehicle-work';

/** Loads config and plan; touches nothing on disk. */
export function openContext(options: CommonOptions, cwd = process.cwd()): CommandContext {
  const loaded = loadConfig({ configPath: options.config, cwd });
  const plan = buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock });
  return { loaded, plan, workDir: resolve(cwd, options.workDir ?? DEFAULT_WORK_DIR), cwd };
}
