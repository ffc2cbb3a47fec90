import { z } from 'zod';
import { stringify } from 'yaml';

/** vvehicle.lock.yml: the commits `vvehicle lock` resolved from branches. */
export const lockSchema = z.strictObject({
  lockVersion: z.literal(1),
  repos: z.record(
    z.string(),
    z.strictObject({
      url: z.string(),
      branch: z.string().optional(),
      commit: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character lower-case hex commit id'),
    }),
  ),
});
export type LockFile = z.infer<typeof lockSchema>;

export function renderLock(lock: LockFile): string {
  return `# Written by \`vvehicle lock\`: the commits each branch resolved to. Commit this file.\n${stringify(lock)}`;
}
