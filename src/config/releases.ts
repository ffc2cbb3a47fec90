/**
 * Releases whose pinned value (a published archive's sha256, or a tag's commit) vvehicle has checked in
 * public sources. A project file that bumps a component's `version` without giving its own `sha256`/`srcrev`
 * gets the value from here; a version missing here must come with its value (see component-pins.ts).
 * Add an entry only after finding the same value in two independent public sources, and name them.
 */
export interface CheckedRelease {
  version: string;
  /** sha256 of the release archive, or the 40-hex commit of the release tag. */
  value: string;
  /** Where the same value was found; lines starting with two spaces continue the previous one. */
  sources: string[];
}

export type PinnedComponent = 'ueransim' | 'nodeExporter' | 'otelcolContrib';

export interface PinRule {
  component: PinnedComponent;
  /** The key that must change together with `version`. */
  pinKey: 'srcrev' | 'sha256';
  /** What the value is, for messages and recipe comments. */
  describe: (version: string) => string;
  checked: CheckedRelease[];
}

export const UERANSIM_RELEASES: CheckedRelease[] = [
  {
    version: '3.3.0',
    value: '6bf5a1a96aaef6ae8778b9d8b477ac6e2bbf8156',
    sources: [
      'tag v3.3.0 in a snapshot of github.com/aligungr/UERANSIM (git rev-parse v3.3.0^{commit}, 2026-11-30)',
      'public projects pinning UERANSIM v3.3.0 at commit 6bf5a1a9... (an ADR of a 5G core project, an Open5GS lab README)',
    ],
  },
  {
    version: '3.2.7',
    value: '1d1e154f869260b5e98f6905827b1bd9b8663afc',
    sources: [
      'tag v3.2.7 in a snapshot of github.com/aligungr/UERANSIM (git rev-parse v3.2.7^{commit}, 2026-11-30)',
      'a public Dockerfile that clones --branch v3.2.7 and asserts HEAD = 1d1e154f...,',
      '  and a public UERANSIM recipe whose SRCREV for v3.2.7 is the same',
    ],
  },
];

export const NODE_EXPORTER_RELEASES: CheckedRelease[] = [
  {
    version: '1.12.1',
    value: 'ad35b605f9954b9f1ffddf5ba054bdc5a98d790b9eae5291e1eeb83f1ecbd0e7',
    sources: [
      'a public Makefile pinning NODE_EXPORTER_SHA256_arm64 for 1.12.1, taken from sha256sums.txt per architecture',
      'a public telemetry runbook whose 1.12.1 hash was checked there against the release checksum manifest',
      'an RPM spec (%ifarch aarch64) and a Ruby setup class pinning the same arm64 sum for 1.12.1',
    ],
  },
  {
    version: '1.9.1',
    value: '848f139986f63232ced83babe3cad1679efdbb26c694737edc1f4fbd27b96203',
    sources: [
      'openstack kolla, kolla/common/sources.py (prometheus-node-exporter 1.9.1, arm64)',
      'zulip/zulip, puppet/zulip/manifests/common.pp (node_exporter 1.9.1, aarch64)',
      'boxcutter/oci, node-exporter bake file (NODE_EXPORTER_SHA256_ARM64 for 1.9.1)',
    ],
  },
];

export const OTELCOL_CONTRIB_RELEASES: CheckedRelease[] = [
  {
    version: '0.161.0',
    value: 'cd5de93213a0dbb90e4998b3b9e4e15ed691ec635cf7cf4147f95799fb16b676',
    sources: [
      'the Pi telemetry discovery runbook of a public homelab repository (2026-09-18): sha256sum -c list,',
      '  checked there against the digest of the asset in the GitHub release metadata of v0.161.0',
      'the otelcol test helper (tests/lib) of an unrelated project: linux-arm64 sum checked there against',
      '  the published .sha256 files (its linux-amd64 sum: 778c689efa681ff6e4722ce9f66b9b7f57c3ba009ab2e2b43dc2e0315862c731)',
      'an operations table of a third project listing the same arm64 and amd64 sums for 0.161.0',
    ],
  },
];

export const PIN_RULES: PinRule[] = [
  { component: 'ueransim', pinKey: 'srcrev', describe: (v) => `the commit of UERANSIM tag v${v}`, checked: UERANSIM_RELEASES },
  {
    component: 'nodeExporter',
    pinKey: 'sha256',
    describe: (v) => `the published sha256 of node_exporter-${v}.linux-arm64.tar.gz (sha256sums.txt of release v${v})`,
    checked: NODE_EXPORTER_RELEASES,
  },
  {
    component: 'otelcolContrib',
    pinKey: 'sha256',
    describe: (v) => `the published sha256 of otelcol-contrib_${v}_linux_arm64.tar.gz (opentelemetry-collector-releases_otelcol-contrib_checksums.txt of release v${v})`,
    checked: OTELCOL_CONTRIB_RELEASES,
  },
];

export function checkedRelease(rule: PinRule, version: string): CheckedRelease | undefined {
  return rule.checked.find((r) => r.version === version);
}
