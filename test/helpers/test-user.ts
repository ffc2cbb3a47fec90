import { lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * A non-root user for tests of what a normal user gets (file ownership with rootful Docker): made
 * once per machine (a system user, no login shell), member of `groups` (e.g. docker: that group
 * may use the daemon's socket). Needs root, as the container tests do.
 */
export async function testUser(name = 'vvehicle-test', groups: readonly string[] = []): Promise<TestUser> {
  for (const group of groups) {
    const exists = await run('getent', ['group', group], { allowFailure: true });
    if (exists.failed) await run('groupadd', ['--system', group]);
  }
  const existing = await run('id', ['-u', name], { allowFailure: true });
  if (existing.failed) await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  if (groups.length) await run('usermod', ['--append', '--groups', groups.join(','), name]);
  const uid = Number((await run('id', ['-u', name])).stdout);
  const gid = Number((await run('id', ['-g', name])).stdout);
  return { name, uid, gid };
}

/** chown -R (without following symlinks). */
export function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  lchownSync(path, uid, gid);
  if (st.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

/** Paths below `dir` (relative) not owned by uid:gid. */
export function notOwnedBy(dir: string, uid: number, gid: number, base = ''): string[] {
  return readdirSync(join(dir, base)).flatMap((name) => {
    const rel = base ? `${base}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    const mine = st.uid === uid && st.gid === gid ? [] : [`${rel} (${st.uid}:${st.gid})`];
    return st.isDirectory() ? [...mine, ...notOwnedBy(dir, uid, gid, rel)] : mine;
  });
}
