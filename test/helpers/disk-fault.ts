import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DeployDir } from './deploy-dir.js';
import { listTree } from './tmp.js';

/** Every file below dir with its bytes (base64): to prove a failed command changed nothing. */
export function snapshot(dir: string): [string, string][] {
  return listTree(dir).map((p) => [p, p.endsWith('/') ? '' : readFileSync(join(dir, p)).toString('base64')]);
}

/** No fault of the machine may end as "internal error"; each is exit 2 with where and how much. */
export function expectDiskFault(r: { code: number | null; stderr: string }, message: RegExp): void {
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^hint: /m);
  expect(r.code, r.stderr).toBe(2);
}

/** Replaces the deploy dir's rootfs with a 16 MiB ext4 holding `bytes` of random data: qcow2 and gzip cannot shrink it. */
export function incompressibleRootfs(deploy: DeployDir, scratch: string, bytes: number): void {
  const data = join(scratch, 'noise-data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'noise'), randomBytes(bytes));
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', data, join(deploy.deployDir, deploy.rootfsName()), '16M']);
}
