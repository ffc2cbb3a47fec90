import { hostPathOverrides } from '../build/host-environment.js';
import { loadConfig } from '../config/load.js';
import { buildPlan } from '../plan/build-plan.js';
import { describePlan } from '../plan/describe.js';
import type { CommonOptions } from '../context.js';

/** `vvehicle plan`: like every command, but a branch the lock file does not pin yet is previewed, marked unpinned. */
export function planCommand(options: CommonOptions & { json?: boolean }, cwd = process.cwd()): string {
  const loaded = loadConfig({ configPath: options.config, cwd, allowUnpinned: true });
  const plan = buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock, allowUnpinned: true, hostPaths: hostPathOverrides(process.env) });
  return options.json ? JSON.stringify(plan, null, 2) : describePlan(plan);
}
