import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { BuildPlan } from '../plan/types.js';
import { repoDir, revisionLabel } from '../plan/repo-dir.js';

/**
 * What the pinned meta-agl checkout says, checked at configure time (the plan itself reads no files):
 * agl.release/agl.codename must be its AGLVERSION/DISTRO_CODENAME, and agl.features select its feature
 * templates the way aglsetup.sh does (templates/feature/<name>/50_local.conf.inc and 50_bblayers.conf.inc).
 */
export const OWN_FEATURE = 'agl-vvehicle';

export interface AglFeatureConf {
  /** Lines for conf/vvehicle.conf (the features' local.conf fragments). */
  local: string[];
  /** Lines for conf/bblayers.conf (the features' bblayers fragments, ${METADIR} resolved to our checkouts). */
  bblayers: string[];
  notes: string[];
}

function checkoutOf(plan: BuildPlan, workDir: string, layer: string): string | undefined {
  const repo = plan.repos.find((r) => r.layers.includes(layer));
  return repo ? repoDir(workDir, repo) : undefined;
}

function assignment(text: string, name: string): string | undefined {
  return new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm').exec(text)?.[1];
}

export function aglFeatureConf(plan: BuildPlan, workDir: string): AglFeatureConf {
  const metaAgl = checkoutOf(plan, workDir, 'meta-agl-core');
  const distroConf = metaAgl && join(metaAgl, 'meta-agl-core/conf/distro/agl.conf');
  const wanted = plan.agl.features.filter((f) => f !== OWN_FEATURE);
  if (!metaAgl || !distroConf || !existsSync(distroConf)) {
    if (wanted.length) throw new UserError(`agl.features ${wanted.join(', ')}: their templates come from the meta-agl checkout, which is not there`, 'run `vvehicle sources` first (or `vvehicle build`, which does)');
    return { local: [], bblayers: [], notes: ['agl.release/agl.codename not checked: meta-agl is not checked out yet (vvehicle sources)'] };
  }
  const text = readFileSync(distroConf, 'utf8');
  const release = assignment(text, 'AGLVERSION');
  const codename = assignment(text, 'DISTRO_CODENAME');
  const agl = plan.repos.find((r) => r.layers.includes('meta-agl-core'))!;
  const mismatches = [
    ...(release && release !== plan.agl.release ? [`agl.release is ${plan.agl.release}, but meta-agl at ${revisionLabel(agl)} is AGLVERSION ${release}`] : []),
    ...(codename && codename !== plan.agl.codename ? [`agl.codename is ${plan.agl.codename}, but meta-agl at ${revisionLabel(agl)} is DISTRO_CODENAME ${codename}`] : []),
  ];
  if (mismatches.length) throw new UserError(mismatches.join('\n'), `set agl.release: ${release} and agl.codename: ${codename}, or pin the meta-agl commit of the release you mean`);

  const local: string[] = [];
  const bblayers: string[] = [];
  for (const feature of wanted) {
    const dir = featureDir(plan, workDir, feature);
    if (!dir) throw new UserError(`agl.features: "${feature}" is not an AGL feature of the pinned checkouts`, `available: ${availableFeatures(plan, workDir).join(', ')}`);
    const frag = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').replace(/\n+$/, '').split('\n') : []);
    const localLines = frag('50_local.conf.inc');
    if (localLines.length) local.push(`# agl feature ${feature} (${dir}/50_local.conf.inc)`, ...localLines);
    const layerLines = frag('50_bblayers.conf.inc').map((l) => resolveMetadir(l, plan, workDir, feature));
    if (layerLines.length) bblayers.push(`# agl feature ${feature} (${dir}/50_bblayers.conf.inc)`, ...layerLines);
  }
  return { local, bblayers, notes: [`agl ${plan.agl.release} "${plan.agl.codename}" matches meta-agl at ${revisionLabel(agl)}`] };
}

/** aglsetup.sh's ${METADIR}/external/<repo> and ${METADIR}/meta-agl, in our checkouts; a missing layer is refused. */
function resolveMetadir(line: string, plan: BuildPlan, workDir: string, feature: string): string {
  return line.replace(/\$\{METADIR\}\/(?:external\/)?([A-Za-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)/g, (_m, metaDir: string, rest: string) => {
    const name = metaDir.replace(/_rust$/, '');
    const repo = plan.repos.find((r) => r.name === name);
    const path = repo && repoDir(workDir, repo) + rest;
    if (!path || !existsSync(path)) throw new UserError(`agl.features: ${feature} needs ${metaDir}${rest}, which no pinned repository provides`, 'add the repository to sources.repos, or drop the feature');
    return path;
  });
}

function featureRoots(plan: BuildPlan, workDir: string): string[] {
  return plan.repos.flatMap((r) => {
    const root = repoDir(workDir, r);
    if (!existsSync(root)) return [];
    const subdirs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name, 'templates/feature'));
    return [join(root, 'templates/feature'), ...subdirs].filter((d) => existsSync(d));
  });
}

function featureDir(plan: BuildPlan, workDir: string, feature: string): string | undefined {
  return featureRoots(plan, workDir).map((root) => join(root, feature)).find((d) => existsSync(d));
}

function availableFeatures(plan: BuildPlan, workDir: string): string[] {
  return [...new Set(featureRoots(plan, workDir).flatMap((root) => readdirSync(root)))].sort();
}
