import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildPlan } from '../plan/types.js';
import { writeFileAtomic } from '../files/atomic.js';
import { writeIfChanged } from '../files/write-if-changed.js';
import { renderTemplate } from '../templates.js';
import { aglFeatureConf } from './agl-features.js';

/** Absolute paths of the build directory; the same inside the container (mounted at the same path). */
export function buildPaths(plan: BuildPlan, workDir: string) {
  const at = (rel: string) => (rel.startsWith('/') ? rel : join(workDir, rel));
  return {
    topdir: at(plan.dirs.build),
    conf: join(at(plan.dirs.build), 'conf'),
    sources: at(plan.dirs.sources),
    layer: at(plan.dirs.layer),
    downloads: at(plan.dirs.downloads),
    sstate: at(plan.dirs.sstate),
    logs: at(plan.dirs.logs),
    out: at(plan.dirs.out),
    state: join(workDir, '.state'),
  };
}

export interface ConfigureResult {
  topdir: string;
  written: string[];
  localConfCreated: boolean;
  notes: string[];
}

/**
 * bblayers.conf and vvehicle.conf are ours (rewritten when the plan changes); local.conf is created
 * once with a single `require conf/vvehicle.conf` and from then on belongs to the user.
 */
export function writeBuildConf(plan: BuildPlan, workDir: string): ConfigureResult {
  const paths = buildPaths(plan, workDir);
  const written: string[] = [];
  const features = aglFeatureConf(plan, workDir);
  const bblayers = renderTemplate('build/bblayers.conf.hbs', {
    profile: plan.profile,
    header: plan.bblayersConfHeader,
    features: features.bblayers,
    layers: plan.bblayers.map((l) => (l.startsWith('/') ? l : join(workDir, l))),
  });
  if (writeIfChanged(join(paths.conf, 'bblayers.conf'), bblayers)) written.push('conf/bblayers.conf');
  const managed = renderTemplate('build/vvehicle.conf.hbs', { profile: plan.profile, configDigest: plan.configDigest, lines: [...plan.managedConf, ...features.local] });
  if (writeIfChanged(join(paths.conf, 'vvehicle.conf'), managed)) written.push('conf/vvehicle.conf');
  const localConf = join(paths.conf, 'local.conf');
  const localConfCreated = !existsSync(localConf);
  if (localConfCreated) {
    writeFileAtomic(localConf, renderTemplate('build/local.conf.hbs', {}));
    written.push('conf/local.conf');
  }
  return { topdir: paths.topdir, written, localConfCreated, notes: features.notes };
}
