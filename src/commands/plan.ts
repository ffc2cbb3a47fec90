import { hostPathOverrides } from '../container/host-environment.js';
import { loadConfig } from '../config/load.js';
import { buildPlan } from '../plan/build-plan.js';
import { describePlan } from '../plan/describe.js';
import { describeResolved, maskedConfig } from '../plan/resolved.js';
import type { CommonOptions } from '../context.js';

/**
 * `vvehicle plan`: the plan, the files merged and the resolved configuration (secrets masked), like `kas dump`.
 * A branch the lock file does not pin yet is previewed, marked unpinned.
 */
export function planCommand(options: CommonOptions & { json?: boolean }, cwd = process.cwd()): string {
  const loaded = loadConfig({ configPath: options.config, cwd, allowUnpinned: true });
  const plan = buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock, allowUnpinned: true, hostPaths: hostPathOverrides(process.env), localInputs: loaded.localInputs });
  const files = loaded.files.slice().reverse();
  if (options.json) return JSON.stringify({ ...plan, files, config: maskedConfig(loaded.config) }, null, 2);
  return `${describePlan(plan)}\n\n${describeResolved(loaded.config, files)}`;
}
