import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { Config } from '../../src/config/schema.js';
import type { BuildPlan } from '../../src/plan/types.js';
import { tempDir } from './tmp.js';

export const goldenDir = join(dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'golden');

/** Config and plan of the embedded default profile, or of a project file copied into a temp dir. */
export function loadForLayer(projectFile?: string): { config: Config; plan: BuildPlan } {
  const dir = tempDir();
  if (projectFile) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(projectFile, join(dir, 'vvehicle.yml'));
  }
  const loaded = loadConfig({ cwd: dir });
  return { config: loaded.config, plan: buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock }) };
}
