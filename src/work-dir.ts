import { resolve } from 'node:path';

export const DEFAULT_WORK_DIR = 'vvehicle-work';

/** The absolute work directory: -w, else VVEHICLE_WORK_DIR (kas: KAS_WORK_DIR), else ./vvehicle-work. */
export function resolveWorkDir(flag: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string {
  return resolve(cwd, flag || env.VVEHICLE_WORK_DIR || DEFAULT_WORK_DIR);
}
