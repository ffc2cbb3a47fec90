import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real small file system for fault tests (we are root in CI and here): a tmpfs of `size`
 * (e.g. "1m"), optionally read-only. `unmount` in afterAll/afterEach.
 */
export function mountTmpfs(size: string, options: { readOnly?: boolean } = {}): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vvehicle-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the file system holding `dir` until only `leaveBytes` are free (a filler file beside the tested paths). */
export function fillUntil(dir: string, leaveBytes: number): void {
  const take = freeBytes(dir) - leaveBytes;
  if (take > 0) writeFileSync(join(dir, 'filler'), Buffer.alloc(take));
}
