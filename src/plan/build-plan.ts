import { posix } from 'node:path';
import type { Config } from '../config/schema.js';
import type { LockFile } from '../config/lock.js';
import { localInputsDigest, patchesDigest, type LocalInputs } from '../config/local-inputs.js';
import { ueProfile } from '../identity/ue-profile.js';
import { canonicalJson, sha256Hex } from './digest.js';
import { STAGE_IDS, type BuildPlan, type PlannedArtifact, type PlannedRepo, type StageId } from './types.js';

const STAGE_TITLES: Record<StageId, string> = {
  layer: 'render meta-vvehicle',
  sources: 'check out pinned layer repositories',
  configure: 'write the managed build configuration',
  builder: 'prepare the builder container image',
  bitbake: 'run bitbake in the container',
  convert: 'convert the rootfs to a qcow2 backing file',
  smoke: 'smoke-boot the image under QEMU',
  manifest: 'write and validate the manifest',
  publish: 'publish the versioned image',
};

export interface PlanInput {
  config: Config;
  profile: string;
  lock?: LockFile;
  /** `vvehicle plan` previews a branch the lock file does not pin yet (commit null, pinnedBy "unpinned"). */
  allowUnpinned?: boolean;
  /** DL_DIR / SSTATE_DIR from the environment (absolute); they move the caches, not the image: not in the digest. */
  hostPaths?: { dlDir?: string; sstateDir?: string };
  /** `path:` repositories and patches as loadConfig resolved and hashed them (their content is in the digest). */
  localInputs?: LocalInputs;
}

/** config → BuildPlan. Pure: no I/O, no clock, no environment. */
export function buildPlan(input: PlanInput & { allowUnpinned?: false }): BuildPlan;
export function buildPlan(input: PlanInput): BuildPlan<string | null>;
export function buildPlan({ config, profile, lock, allowUnpinned, hostPaths = {}, localInputs }: PlanInput): BuildPlan<string | null> {
  const dirs = {
    sources: 'sources',
    build: `build/${profile}`,
    layer: 'layers/meta-vvehicle',
    downloads: hostPaths.dlDir ?? config.build.dlDir,
    sstate: hostPaths.sstateDir ?? config.build.sstateDir,
    out: `out/${config.name}-${config.version}`,
    logs: 'logs',
  };
  const repos: PlannedRepo<string | null>[] = Object.entries(config.sources.repos).map(([name, repo]): PlannedRepo<string | null> => {
    const local = localInputs?.repos[name];
    if (repo.url === undefined) {
      // loadConfig resolved and hashed every path repository
      if (!local) throw new Error(`internal: path repository ${name} was not resolved`);
      return { kind: 'local', name, path: local.dir, layers: repo.layers, content: local.content };
    }
    const commit = repo.commit ?? lock?.repos[name]?.commit;
    // loadConfig refuses an unpinned branch unless the caller asked for a preview
    if (!commit && !allowUnpinned) throw new Error(`internal: ${name} is not pinned`);
    const patches = localInputs?.patches[name] ?? [];
    return {
      kind: 'git',
      name,
      url: repo.url,
      ...(repo.branch ? { branch: repo.branch } : {}),
      commit: commit ?? null,
      path: `${dirs.sources}/${name}`,
      layers: repo.layers,
      pinnedBy: repo.commit ? 'config' : commit ? 'lock' : 'unpinned',
      ...(patches.length ? { patches, patchesDigest: `sha256:${patchesDigest(patches)}` } : {}),
    };
  });
  const bblayers = [
    ...repos.flatMap((r) => r.layers.map((l) => posix.normalize(posix.join(r.path, l)))),
    dirs.layer,
  ];
  const target = config.image.target;
  const deploy = `tmp/deploy/images/${config.machine}`;
  const artifacts: PlannedArtifact[] = [
    { role: 'rootfs', path: `${deploy}/${target}-${config.machine}.rootfs.ext4`, required: true },
    { role: 'kernel', path: `${deploy}/Image`, required: true },
    { role: 'package-manifest', path: `${deploy}/${target}-${config.machine}.rootfs.manifest`, required: true },
    { role: 'testdata', path: `${deploy}/${target}-${config.machine}.rootfs.testdata.json`, required: false },
    { role: 'qemuboot', path: `${deploy}/${target}-${config.machine}.rootfs.qemuboot.conf`, required: false },
    { role: 'sbom', path: `${deploy}/${target}-${config.machine}.rootfs.spdx.tar.zst`, required: false },
  ];
  const c = config.components;
  return {
    planVersion: 1,
    name: config.name,
    version: config.version,
    profile,
    machine: config.machine,
    distro: 'agl',
    agl: { release: config.agl.release, codename: config.agl.codename, yoctoSeries: config.agl.yoctoSeries, features: config.agl.features },
    image: { target, base: config.image.base, ...(config.image.initramfs ? { initramfs: config.image.initramfs } : {}) },
    dirs,
    repos,
    bblayers,
    managedConf: [...managedConfLines(config, dirs), ...headerLines('localConfHeader', config.localConfHeader)],
    bblayersConfHeader: headerLines('bblayersConfHeader', config.bblayersConfHeader),
    components: [
      { name: 'ueransim', enabled: c.ueransim.enabled, version: c.ueransim.version },
      { name: 'otelcol-contrib', enabled: c.otelcolContrib.enabled, version: c.otelcolContrib.version },
      { name: 'node-exporter', enabled: c.nodeExporter.enabled, version: c.nodeExporter.version },
      { name: 'ebpf', enabled: c.ebpf.enabled, version: c.ebpf.tools.join('+') },
      { name: 'systemd-networkd', enabled: true },
    ],
    ue: c.ueransim.enabled ? ueProfile(c.ueransim.ue) : null,
    stages: STAGE_IDS.map((id) => ({ id, title: STAGE_TITLES[id] })),
    artifacts,
    configDigest: configDigest(config, localInputs),
    ...(hostPaths.dlDir || hostPaths.sstateDir
      ? { environment: { ...(hostPaths.dlDir ? { DL_DIR: hostPaths.dlDir } : {}), ...(hostPaths.sstateDir ? { SSTATE_DIR: hostPaths.sstateDir } : {}) } }
      : {}),
  };
}

/**
 * The configuration, and the content of what it reads from the host (path repositories, patches) when it reads
 * any: a configuration without them keeps the digest it always had.
 */
function configDigest(config: Config, localInputs: LocalInputs | undefined): string {
  const local = localInputs && localInputsDigest(localInputs);
  return `sha256:${sha256Hex(canonicalJson(local ? { config, local } : config))}`;
}

/** kas-style named blocks, in the order of their names, each under a comment naming it. */
function headerLines(key: string, blocks: Record<string, string>): string[] {
  return Object.keys(blocks)
    .sort()
    .flatMap((name) => [`# ${key}.${name}`, ...blocks[name]!.replace(/\n+$/, '').split('\n')]);
}

/** Resolves a work-dir relative setting for use in BitBake, where TOPDIR is <work>/build/<profile>. */
function fromTopdir(path: string): string {
  return path.startsWith('/') ? path : `\${TOPDIR}/../../${path}`;
}

function threads(value: 'auto' | number): string | undefined {
  return value === 'auto' ? undefined : String(value);
}

/** The lines vvehicle owns in conf/vvehicle.conf (local.conf stays the user's). */
export function managedConfLines(config: Config, dirs: { downloads: string; sstate: string } = { downloads: config.build.dlDir, sstate: config.build.sstateDir }): string[] {
  const b = config.build;
  const lines = [
    `MACHINE = "${config.machine}"`,
    'DISTRO = "agl"',
    'require conf/include/base-agl.inc',
    `require conf/include/agl_${config.machine}.inc`,
    // the layer's own settings: systemd-networkd instead of connman, BTF, static ids
    'require conf/include/vvehicle.inc',
    `DL_DIR = "${fromTopdir(dirs.downloads)}"`,
    `SSTATE_DIR = "${fromTopdir(dirs.sstate)}"`,
    'INHERIT += "buildhistory"',
    'BUILDHISTORY_COMMIT = "0"',
  ];
  const bbThreads = threads(b.threads);
  if (bbThreads) lines.push(`BB_NUMBER_THREADS = "${bbThreads}"`);
  const make = threads(b.parallelMake);
  if (make) lines.push(`PARALLEL_MAKE = "-j ${make}"`);
  if (b.sstateMirrors.length) lines.push(`SSTATE_MIRRORS = "${b.sstateMirrors.map(sstateMirrorEntry).join(' ')}"`);
  if (b.premirrors.length) lines.push(`PREMIRRORS:prepend = "${b.premirrors.map((m) => `git://.*/.* ${m} https?://.*/.* ${m}`).join(' ')}"`);
  lines.push(...hashEquivalenceLines(b));
  if (config.image.extraFstypes.length) lines.push(`AGL_EXTRA_IMAGE_FSTYPES:append = " ${config.image.extraFstypes.join(' ')}"`);
  return lines;
}

/**
 * One SSTATE_MIRRORS entry, as poky documents them: a file:// mirror is read in place (PATH is the
 * object's path below it), an http(s) one is downloaded under the object's own name.
 */
function sstateMirrorEntry(mirror: string): string {
  const base = mirror.replace(/\/+$/, '');
  return base.startsWith('file://') ? `file://.* ${base}/PATH` : `file://.* ${base}/PATH;downloadfilename=PATH`;
}

/**
 * off: plain signatures. auto: bitbake starts a local server (unix socket), pulling from
 * BB_HASHSERVE_UPSTREAM when one is given. host:port: the shared server (`vvehicle cache serve`).
 * Mixing auto with an sstate mirror and no upstream is refused by the config rules (bitbake warns).
 */
function hashEquivalenceLines(b: Config['build']): string[] {
  if (b.hashEquivalence === 'off') return ['BB_SIGNATURE_HANDLER = "OEBasicHash"', 'BB_HASHSERVE = ""'];
  const lines = ['BB_SIGNATURE_HANDLER = "OEEquivHash"', `BB_HASHSERVE = "${b.hashEquivalence}"`];
  if (b.hashEquivalence === 'auto' && b.hashEquivalenceUpstream) lines.push(`BB_HASHSERVE_UPSTREAM = "${b.hashEquivalenceUpstream}"`);
  return lines;
}
