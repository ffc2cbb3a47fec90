import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../config/schema.js';
import type { BuildPlan, PlannedGitRepo } from '../plan/types.js';

/**
 * A kas project file that builds the same image as this plan (`vvehicle export kas`).
 *
 * Written for the oldest kas still around (Debian's 3.1, format 12), with the lowest header version that carries
 * what the file uses: 1 (machine, distro, target, repos with url, refspec, path, layers, the two conf headers),
 * 8 when there are patches (kas's `patches`, relative to a `repo`: here a local directory vvehicle-patches/ the
 * patch files are copied into). Path repositories become local kas repos (no url) at a numbered link in
 * KAS_WORK_DIR to the directory itself: used in place, as vvehicle does, and in BBLAYERS order. kas 3.1 knows `refspec` only (newer kas read it, with a deprecation note): it holds the
 * pinned commit; the branch is in a comment.
 *
 * kas writes BBLAYERS sorted by path. To keep vvehicle's BBLAYERS order, checkouts get numbered paths
 * (`01-poky`), and a repository whose layers are not in alphabetical order is checked out once per run of
 * layers that is (meta-openembedded: meta-oe+meta-python, meta-networking, meta-filesystems).
 * DL_DIR/SSTATE_DIR are kas's business (KAS_WORK_DIR, or DL_DIR/SSTATE_DIR in its environment).
 */
export interface KasExport {
  text: string;
  /** KAS_PREMIRRORS for the rewrite rules ("regex replacement" lines), empty when none. */
  premirrors: string;
  /** Symbolic links to make in KAS_WORK_DIR (name → target): path repositories, used in place as vvehicle does. */
  links: Record<string, string>;
  /** Files to write into KAS_WORK_DIR (relative destination → a file to copy, or text): the patches, under PATCHES_REPO. */
  copies: Record<string, { copyOf: string } | { text: string }>;
}

/** The kas repository (a local directory, no layers) the exported patches are relative to. */
export const PATCHES_REPO = 'vvehicle-patches';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Consecutive runs of layers that kas's alphabetical sort keeps in order. */
function sortedRuns(layers: readonly string[]): string[][] {
  const runs: string[][] = [];
  for (const layer of layers) {
    const run = runs[runs.length - 1];
    if (run && layerKey(run[run.length - 1]!) < layerKey(layer)) run.push(layer);
    else runs.push([layer]);
  }
  return runs;
}

/** How kas sorts a layer of one checkout: by its path ("." is the checkout itself, which sorts first). */
function layerKey(layer: string): string {
  return layer === '.' ? '' : `/${posix.normalize(layer)}`;
}

/** Where meta-vvehicle goes, relative to KAS_WORK_DIR: numbered after every checkout, so kas lists it last. */
export function kasLayerPath(plan: BuildPlan): string {
  const checkouts = plan.repos.reduce((n, r) => n + sortedRuns(r.layers).length, 0);
  return `${String(checkouts + 1).padStart(2, '0')}-meta-vvehicle`;
}

export function exportKas(config: Config, plan: BuildPlan, sourceFiles: readonly string[]): KasExport {
  const repos: Record<string, unknown> = {};
  const links: Record<string, string> = {};
  const copies: KasExport['copies'] = {};
  let n = 0;
  const pad = (i: number) => String(i).padStart(2, '0');
  for (const repo of plan.repos) {
    for (const run of sortedRuns(repo.layers)) {
      n++;
      const path = `${pad(n)}-${repo.name}`;
      // "." (the repository root) is kas's default when `layers` is absent
      const layers = run.length === 1 && run[0] === '.' ? {} : { layers: Object.fromEntries(run.map((l) => [l, null])) };
      if (repo.kind === 'local') {
        // no url: kas uses the directory as it is; a numbered link keeps BBLAYERS in vvehicle's order
        links[path] = repo.path;
        repos[path] = { path, ...layers };
        continue;
      }
      repos[path] = { url: repo.url, refspec: repo.commit, path, ...layers, ...(repo.patches ? { patches: kasPatches(repo, copies) } : {}) };
    }
  }
  // no url: a local directory kas uses as it is (relative paths are from KAS_WORK_DIR)
  repos[kasLayerPath(plan)] = { path: kasLayerPath(plan) };
  if (Object.keys(copies).length) repos[PATCHES_REPO] = { path: PATCHES_REPO, layers: { '.': 'disabled' } };

  const managed = plan.managedConf.filter((l) => !/^(DL_DIR|SSTATE_DIR) = /.test(l));
  const doc = {
    // patches came with format version 8; everything else here is in version 1
    header: { version: Object.keys(copies).length ? 8 : 1 },
    machine: plan.machine,
    distro: plan.distro,
    target: plan.image.target,
    repos,
    // AGL's setup writes DISTRO and these includes into local.conf (templates/machine/<machine>/20_local.conf.inc)
    local_conf_header: { 'vvehicle-managed': `${managed.join('\n')}\n` },
    ...(plan.bblayersConfHeader.length ? { bblayers_conf_header: { vvehicle: `${plan.bblayersConfHeader.join('\n')}\n` } } : {}),
  };
  const premirrors = config.sources.rewrite.map((r) => `^${escapeRegex(r.from)} ${r.to}`).join('\n');
  const branches = plan.repos.flatMap((r) => (r.kind === 'git' && r.branch ? [`#   ${r.name}: ${r.branch} @ ${r.commit}`] : []));
  const linked = Object.entries(links).map(([name, target]) => `#   ${name} -> ${target}`);
  const header = [
    `# kas project file written by \`vvehicle export kas\` from ${sourceFiles.join(', ')} (config ${plan.configDigest}).`,
    '# Read by kas 3.1 (Debian) and newer. Run kas with KAS_WORK_DIR set to the directory that holds the rendered',
    `# meta-vvehicle as ${kasLayerPath(plan)}/ (\`vvehicle export kas -o DIR/FILE\` renders it there).`,
    '# Pinned branches:',
    ...branches,
    ...(premirrors ? ['# The configuration rewrites repository URLs; give kas the same rules (one per line in KAS_PREMIRRORS):', ...premirrors.split('\n').map((l) => `#   ${l}`)] : []),
    ...(linked.length ? ['# Path repositories, used in place: KAS_WORK_DIR holds a link to each (`export kas -o` makes them):', ...linked] : []),
    ...(Object.keys(copies).length ? [`# Patches: copied into ${PATCHES_REPO}/ in KAS_WORK_DIR (\`export kas -o\` copies them).`] : []),
    ...(config.sources.referenceDir ? [`# Reference clones: export KAS_REPO_REF_DIR=${config.sources.referenceDir} (kas names them after the URL, as vvehicle does)`] : []),
  ];
  return { text: `${header.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`, premirrors, links, copies };
}

/**
 * kas's patch entries of one repository: each patch file (or the quilt directory with its series) is copied to
 * PATCHES_REPO/<repo>/<id>/, and the entry points there. Entries keep vvehicle's ids, so kas's id order is ours.
 */
function kasPatches(repo: PlannedGitRepo, copies: KasExport['copies']): Record<string, { repo: string; path: string }> {
  const out: Record<string, { repo: string; path: string }> = {};
  for (const p of repo.patches ?? []) {
    const dir = `${repo.name}/${p.id}`;
    if (p.series) {
      // the series as kas reads it: one file name per line (kas takes the whole line, quilt options included)
      const names = p.files.map((f) => posix.relative(p.entry, f.path));
      copies[`${PATCHES_REPO}/${dir}/series`] = { text: `${names.join('\n')}\n` };
      p.files.forEach((f, i) => (copies[`${PATCHES_REPO}/${dir}/${names[i]}`] = { copyOf: f.path }));
      out[p.id] = { repo: PATCHES_REPO, path: dir };
    } else {
      const name = posix.basename(p.entry);
      copies[`${PATCHES_REPO}/${dir}/${name}`] = { copyOf: p.entry };
      out[p.id] = { repo: PATCHES_REPO, path: `${dir}/${name}` };
    }
  }
  return out;
}
