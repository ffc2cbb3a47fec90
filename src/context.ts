import { hostPathOverrides } from './container/host-environment.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { buildPlan } from './plan/build-plan.js';
import type { BuildPlan } from './plan/types.js';
import { resolveWorkDir } from './work-dir.js';

/** Options every command takes. */
export interface CommonOptions {
  /** -c, repeatable; each may be a:b (kas style): merged in order. */
  config?: string | string[];
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

/** Loads config and plan; touches nothing on disk. DL_DIR, SSTATE_DIR and VVEHICLE_WORK_DIR come from `env`. */
export function openContext(options: CommonOptions, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): CommandContext {
  const loaded = loadConfig({ configPath: options.config, cwd });
  const plan = buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock, hostPaths: hostPathOverrides(env), localInputs: loaded.localInputs });
  return { loaded, plan, workDir: resolveWorkDir(options.workDir, cwd, env), cwd };
}
