/**
 * Release archives whose published sha256 vvehicle has cross-checked in independent public sources.
 * The recipe cites the sources when the configured version and sha256 are one of these pairs; any other
 * pair is rendered as configured, with a comment saying it was not cross-checked.
 */
export interface VerifiedChecksum {
  version: string;
  sha256: string;
  /** Where the same sum was found; lines starting with two spaces continue the previous one. */
  sources: string[];
}

export const VERIFIED_OTELCOL_CONTRIB: VerifiedChecksum[] = [
  {
    version: '0.161.0',
    sha256: 'cd5de93213a0dbb90e4998b3b9e4e15ed691ec635cf7cf4147f95799fb16b676',
    sources: [
      'the Pi telemetry discovery runbook of a public homelab repository (2026-09-18): sha256sum -c list,',
      '  checked there against the digest of the asset in the GitHub release metadata of v0.161.0',
      'the otelcol test helper (tests/lib) of an unrelated project: linux-arm64 sum checked there against',
      '  the published .sha256 files (its linux-amd64 sum: 778c689efa681ff6e4722ce9f66b9b7f57c3ba009ab2e2b43dc2e0315862c731)',
      'an operations table of a third project listing the same arm64 and amd64 sums for 0.161.0',
    ],
  },
];

export const VERIFIED_NODE_EXPORTER: VerifiedChecksum[] = [
  {
    version: '1.9.1',
    sha256: '848f139986f63232ced83babe3cad1679efdbb26c694737edc1f4fbd27b96203',
    sources: [
      'openstack kolla, kolla/common/sources.py (prometheus-node-exporter 1.9.1, arm64)',
      'zulip/zulip, puppet/zulip/manifests/common.pp (node_exporter 1.9.1, aarch64)',
      'boxcutter/oci, node-exporter bake file (NODE_EXPORTER_SHA256_ARM64 for 1.9.1)',
    ],
  },
];

/** The comment lines above SRC_URI[sha256sum]. */
export function checksumComment(archive: string, version: string, sha256: string, known: VerifiedChecksum[]): string[] {
  const match = known.find((k) => k.version === version && k.sha256 === sha256);
  if (!match) {
    return [`sha256 of ${archive} as given in the vvehicle configuration (not one vvehicle has cross-checked).`];
  }
  return [`Published sha256 of ${archive}, the same in independent public sources:`, ...match.sources.map((s) => (s.startsWith('  ') ? `  ${s.trim()}` : `- ${s}`))];
}
