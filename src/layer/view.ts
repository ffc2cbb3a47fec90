import semver from 'semver';
import { UserError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { BuildPlan } from '../plan/types.js';
import { NODE_EXPORTER_RELEASES, OTELCOL_CONTRIB_RELEASES, UERANSIM_RELEASES } from '../config/releases.js';
import { pinComment } from './checksums.js';
import { imageCredentials, type ShellCheck } from '../identity/credentials.js';
import { sessionSetAtBoot, ueProfile } from '../identity/ue-profile.js';

/** Everything the layer templates read. Built from config and plan only; every key always present. */
export interface LayerView {
  name: string;
  version: string;
  buildId: string;
  layerSeries: string;
  image: { target: string; base: string; baseRecipe: string; extraPackages: string };
  network: { match: string; keepConfiguration: string };
  ueransim: {
    enabled: boolean;
    version: string;
    srcrev: string;
    srcrevSources: string[];
    srcUri: string;
    license: string;
    licenseMd5: string;
    ue: {
      amf: string;
      imei: string | null;
      gnbSearchList: string[];
      /** one session: its DNN and slice are filled in at boot (@DNN@, @SLICE@), the image's own by default */
      sessionAtBoot: boolean;
      sessions: { type: string; apn: string; sst: number; sd: string | null }[];
      slices: { sst: number; sd: string | null }[];
      integrity: { name: string; enabled: boolean }[];
      ciphering: { name: string; enabled: boolean }[];
    };
  };
  otelcol: { enabled: boolean; version: string; sha256: string; checksumSources: string[]; exporterEndpoint: string; insecure: boolean };
  nodeExporter: { enabled: boolean; version: string; sha256: string; checksumSources: string[]; port: number };
  ebpf: { enabled: boolean; bpftool: boolean; clangTools: string; btf: boolean };
  health: { units: string; after: string; waitSec: number };
  identity: {
    credentials: { name: string; required: boolean; secret: boolean; pattern: string; description: string; var: string; shell: Omit<ShellCheck, 'max' | 'separator' | 'minValue' | 'maxValue'> & { max: number | ''; separator: string; minValue: number | ''; maxValue: number | '' } }[];
    ueransim: 0 | 1;
    ueTemplate: string;
    defaults: { mcc: string; mnc: string; gnbSearchList: string; dnn: string; sst: number; sd: string };
    /** the units it runs before (what reads its output) */
    before: string;
  };
  packagegroup: { packages: string[] };
}

/** Base images vvehicle-image can extend, and the recipe file (found through BBPATH) to require. */
const BASE_IMAGE_RECIPES: Record<string, string> = {
  'agl-image-minimal': 'recipes-platform/images/agl-image-minimal.bb',
  'agl-image-boot': 'recipes-platform/images/agl-image-boot.bb',
};

/**
 * UERANSIM's licence changed with 3.2.8 (GPL-3.0-only before, AGPL-3.0-only from then on). The md5 is that
 * of the LICENSE file of the fetched source: checked at every tag from v3.0.3 (the oldest) to v3.3.0 in a
 * snapshot of aligungr/UERANSIM (v3.0.3…v3.2.7: 1ebbd3e3…, v3.2.8 and v3.3.0: 4ae09d45…). If a srcrev is
 * not the release its version says, LIC_FILES_CHKSUM makes bitbake fail instead of shipping a wrong LICENSE.
 */
function ueransimLicense(version: string): { license: string; licenseMd5: string } {
  return semver.gte(version, '3.2.8')
    ? { license: 'AGPL-3.0-only', licenseMd5: '4ae09d45eac4aa08d013b5f2e01c67f6' }
    : { license: 'GPL-3.0-only', licenseMd5: '1ebbd3e34237af26da5dc08a4e440464' };
}

/** A git URL as BitBake's git fetcher wants it: git://host/path;protocol=…;branch=… */
export function bitbakeGitUri(url: string, branch: string): string {
  const scp = /^([\w.-]+@[\w.-]+):(.+)$/.exec(url);
  if (scp) return `git://${scp[1]}/${scp[2]};protocol=ssh;branch=${branch}`;
  const match = /^(https?|git|ssh|file):\/\/(.+)$/.exec(url);
  if (!match) throw new UserError(`components.ueransim.repo: ${url} is not a git URL BitBake can fetch`);
  return `git://${match[2]};protocol=${match[1]};branch=${branch}`;
}

export function buildLayerView(config: Config, plan: BuildPlan): LayerView {
  const c = config.components;
  const baseRecipe = BASE_IMAGE_RECIPES[config.image.base];
  if (!baseRecipe) {
    throw new UserError(
      `image.base: meta-vvehicle does not know how to extend "${config.image.base}"`,
      `use one of: ${Object.keys(BASE_IMAGE_RECIPES).join(', ')}`,
    );
  }
  const digest = /^sha256:([0-9a-f]{12})/.exec(plan.configDigest);
  if (!digest) throw new UserError(`the plan's configDigest ${plan.configDigest} is not a sha256 digest`);

  // the same profile the plan publishes in the manifest (here also when the UE is off: every key is rendered)
  const ue = ueProfile(c.ueransim.ue);
  const firstSession = ue.sessions[0]!;

  const clangTools = c.ebpf.enabled ? c.ebpf.tools.filter((t) => t === 'bcc' || t === 'bpftrace') : [];
  const bpftool = c.ebpf.enabled && c.ebpf.tools.includes('bpftool');

  const units = [
    ...(c.nodeExporter.enabled ? ['node_exporter.socket'] : []),
    ...(c.otelcolContrib.enabled ? ['otelcol-contrib.service'] : []),
    ...(c.ueransim.enabled ? ['nr-ue.service'] : []),
  ];
  const identityReaders = [
    ...(c.nodeExporter.enabled ? ['node_exporter.socket', 'node_exporter.service'] : []),
    ...(c.otelcolContrib.enabled ? ['otelcol-contrib.service'] : []),
    ...(c.ueransim.enabled ? ['nr-ue.service'] : []),
  ];
  const packages = [
    'vvehicle-network',
    'vvehicle-health',
    'vvehicle-identity',
    ...(c.ueransim.enabled ? ['ueransim'] : []),
    ...(c.otelcolContrib.enabled ? ['otelcol-contrib'] : []),
    ...(c.nodeExporter.enabled ? ['node-exporter'] : []),
    ...(bpftool ? ['bpftool'] : []),
  ];

  return {
    name: config.name,
    version: config.version,
    buildId: digest[1]!,
    layerSeries: config.agl.yoctoSeries,
    image: {
      target: config.image.target,
      base: config.image.base,
      baseRecipe,
      extraPackages: config.image.extraPackages.map((p) => ` ${p}`).join(''),
    },
    network: { match: config.components.network.match.join(' '), keepConfiguration: config.components.network.keepConfiguration },
    ueransim: {
      enabled: c.ueransim.enabled,
      version: c.ueransim.version,
      srcrev: c.ueransim.srcrev,
      srcrevSources: pinComment(`Commit of UERANSIM tag v${c.ueransim.version}`, c.ueransim.version, c.ueransim.srcrev, UERANSIM_RELEASES),
      srcUri: bitbakeGitUri(c.ueransim.repo, 'master'),
      ...ueransimLicense(c.ueransim.version),
      ue: {
        amf: ue.amf,
        imei: c.ueransim.ue.imei ?? null,
        gnbSearchList: ue.gnbSearchList,
        sessionAtBoot: sessionSetAtBoot(ue),
        sessions: ue.sessions.map((s) => ({ type: s.type, apn: s.apn, sst: s.slice.sst, sd: s.slice.sd ?? null })),
        slices: ue.configuredNssai.map((s) => ({ sst: s.sst, sd: s.sd ?? null })),
        integrity: Object.entries(ue.integrity).map(([name, on]) => ({ name, enabled: on })),
        ciphering: Object.entries(ue.ciphering).map(([name, on]) => ({ name, enabled: on })),
      },
    },
    otelcol: {
      enabled: c.otelcolContrib.enabled,
      version: c.otelcolContrib.version,
      sha256: c.otelcolContrib.sha256,
      checksumSources: pinComment(
        `Published sha256 of otelcol-contrib_${c.otelcolContrib.version}_linux_arm64.tar.gz`,
        c.otelcolContrib.version,
        c.otelcolContrib.sha256,
        OTELCOL_CONTRIB_RELEASES,
      ),
      exporterEndpoint: c.otelcolContrib.exporterEndpoint,
      insecure: c.otelcolContrib.insecure,
    },
    nodeExporter: {
      enabled: c.nodeExporter.enabled,
      version: c.nodeExporter.version,
      sha256: c.nodeExporter.sha256,
      checksumSources: pinComment(
        `Published sha256 of node_exporter-${c.nodeExporter.version}.linux-arm64.tar.gz`,
        c.nodeExporter.version,
        c.nodeExporter.sha256,
        NODE_EXPORTER_RELEASES,
      ),
      port: c.nodeExporter.port,
    },
    ebpf: { enabled: c.ebpf.enabled, bpftool, clangTools: clangTools.join(' '), btf: c.ebpf.enabled && c.ebpf.btf },
    health: {
      units: units.join(' '),
      after: ['network.target', 'systemd-networkd.service', ...units].join(' '),
      // the script's wait for the end of boot: the smoke test's own health timeout
      waitSec: Math.ceil(config.smoke.timeouts.healthSec),
    },
    identity: {
      // vvehicle.ue.supi → ue_supi: the shell variable the script keeps the value in
      // (max and separator '' when there is none: the script's `fits` takes them so)
      credentials: imageCredentials(c.ueransim.enabled ? ue : null).map((c) => ({
        ...c,
        var: c.name.replace(/^vvehicle\./, '').replace(/[.-]/g, '_'),
        shell: { ...c.shell, max: c.shell.max ?? '', separator: c.shell.separator ?? '', minValue: c.shell.minValue ?? '', maxValue: c.shell.maxValue ?? '' },
      })),
      ueransim: c.ueransim.enabled ? 1 : 0,
      ueTemplate: '/etc/ueransim/ue.yaml.in',
      defaults: {
        mcc: ue.plmn.mcc,
        mnc: ue.plmn.mnc,
        gnbSearchList: ue.gnbSearchList.join(','),
        dnn: firstSession.apn,
        sst: firstSession.slice.sst,
        sd: firstSession.slice.sd ?? '',
      },
      before: [...identityReaders, 'vvehicle-health.service'].join(' '),
    },
    packagegroup: { packages },
  };
}
