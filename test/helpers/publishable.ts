import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli.js';
import { makeDeployDir } from './deploy-dir.js';
import { tempDir } from './tmp.js';

/** deploy dir → convert → manifest, through the CLI: what `publish` takes. */
export async function readyToPublish(root = tempDir()) {
  const d = makeDeployDir(join(root, 'build'));
  const out = join(root, 'out');
  const work = join(root, 'work');
  expect((await runCli(['convert', '-w', work, '--deploy-dir', d.deployDir, '--out', out])).code).toBe(0);
  expect((await runCli(['manifest', '-w', work, '--from', out])).code).toBe(0);
  return { root, out, work };
}
