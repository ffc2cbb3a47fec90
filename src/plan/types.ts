/** The pure result of resolving a configuration: everything later stages need, nothing they compute. */
export const STAGE_IDS = ['layer', 'sources', 'configure', 'builder', 'bitbake', 'convert', 'smoke', 'manifest', 'publish'] as const;
export type StageId = (typeof STAGE_IDS)[number];

export interface PlannedRepo {
  name: string;
  url: string;
  branch?: string;
  commit: string;
  /** Where it is checked out, relative to the work dir. */
  path: string;
  layers: string[];
  pinnedBy: 'config' | 'lock';
}

export interface PlannedArtifact {
  role: 'rootfs' | 'kernel' | 'package-manifest' | 'testdata' | 'qemuboot' | 'sbom';
  /** Relative to the bitbake TOPDIR. */
  path: string;
  required: boolean;
}

export interface BuildPlan {
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
  repos: PlannedRepo[];
  /** BBLAYERS in order, relative to the work dir. */
  bblayers: string[];
  /** The lines of conf/vvehicle.conf. */
  managedConf: string[];
  components: { name: string; enabled: boolean; version?: string }[];
  stages: { id: StageId; title: string }[];
  artifacts: PlannedArtifact[];
  configDigest: string;
}
