import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPaths } from '../../bitbake/configure.js';
import type { PipelineState } from './types.js';

/** Where bitbake deploys, and where convert/smoke/manifest put their results. */
export function imageDirs(state: PipelineState) {
  const { plan, workDir } = state.context;
  const paths = buildPaths(plan, workDir);
  return {
    deployDir: join(paths.topdir, 'tmp/deploy/images', plan.machine),
    outDir: paths.out,
    logsDir: paths.logs,
  };
}

/** A file's identity without reading gigabytes: its real path (deploy links point at timestamped files), size, mtime. */
export function fileIdentity(path: string): unknown {
  if (!existsSync(path)) return null;
  const real = realpathSync(path);
  const st = statSync(real);
  return { real, size: st.size, mtimeMs: st.mtimeMs };
}

export function textOrNull(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

export function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}
