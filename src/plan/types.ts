import type { UeProfile } from '../identity/ue-profile.js';
import type { LocalContent } from '../config/local-inputs.js';

/** The pure result of resolving a configuration: everything later stages need, nothing they compute. */
export const STAGE_IDS = ['layer', 'sources', 'configure', 'builder', 'bitbake', 'convert', 'smoke', 'manifest', 'publish'] as const;
export type StageId = (typeof STAGE_IDS)[number];

/** `Commit` is string in every plan a stage runs; only `vvehicle plan` previews unpinned branches (null). */
export interface PlannedGitRepo<Commit extends string | null = string> {
  kind: 'git';
  name: string;
  url: string;
  branch?: string;
  commit: Commit;
  /** Where it is checked out, relative to the work dir. */
  path: string;
  layers: string[];
  pinnedBy: Commit extends string ? 'config' | 'lock' : 'config' | 'lock' | 'unpinned';
  /** Applied after checkout, in this order (present only when there are any). */
  patches?: PlannedPatch[];
  /** Digest of the patches, which the patched checkout records (present with patches). */
  patchesDigest?: string;
}

/** A `path:` repository: a local directory used in place, never cloned or modified. */
export interface PlannedLocalRepo {
  kind: 'local';
  name: string;
  /** Absolute directory on the host (mounted read-only at the same path into the build container). */
  path: string;
  layers: string[];
  content: LocalContent;
}

export type PlannedRepo<Commit extends string | null = string> = PlannedGitRepo<Commit> | PlannedLocalRepo;

export interface PlannedPatch {
  id: string;
  /** file:line:col of the patch in the configuration. */
  declaredAt: string;
  /** The patch file or quilt directory, absolute. */
  entry: string;
  series: boolean;
  /** The files applied, absolute, in order, with their sha256. */
  files: { path: string; sha256: string }[];
}

export interface PlannedArtifact {
  role: 'rootfs' | 'kernel' | 'package-manifest' | 'testdata' | 'qemuboot' | 'sbom';
  /** Relative to the bitbake TOPDIR. */
  path: string;
  required: boolean;
}

export interface BuildPlan<Commit extends string | null = string> {
  planVersion: 1;
  name: string;
  version: string;
  profile: string;
  machine: string;
  distro: 'agl';
  agl: { release: string; codename: string; yoctoSeries: string; features: string[] };
  image: { target: string; base: string; initramfs?: string };
  /** Directories relative to the work dir. */
  dirs: { sources: string; build: string; layer: string; downloads: string; sstate: string; out: string; logs: string };
  repos: PlannedRepo<Commit>[];
  /** BBLAYERS in order, relative to the work dir. */
  bblayers: string[];
  /** The lines of conf/vvehicle.conf (managed settings, then localConfHeader blocks). */
  managedConf: string[];
  /** bblayersConfHeader blocks: lines of conf/bblayers.conf before BBLAYERS. */
  bblayersConfHeader: string[];
  components: { name: string; enabled: boolean; version?: string }[];
  /** What the image's UE asks the 5G core for (null: the image runs no UE); published in the manifest. */
  ue: UeProfile | null;
  stages: { id: StageId; title: string }[];
  artifacts: PlannedArtifact[];
  configDigest: string;
  /** Settings taken from the environment (DL_DIR, SSTATE_DIR), present only when there are any. */
  environment?: Record<string, string>;
}
