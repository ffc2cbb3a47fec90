import { existsSync, readFileSync, realpathSync, renameSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { toolVersion } from '../package-paths.js';
import type { BuildPlan } from '../plan/types.js';
import { removeTree, sweepLeftovers, tempSibling, writeFileAtomic } from '../files/atomic.js';
import { readConvertResult, type ConvertResult } from './convert-result.js';
import { FLAG_PATTERNS, parseLicenseManifest, summarizeLicenses } from './licenses.js';
import { FW_CFG_CREDENTIAL_PREFIX, IDENTITY_STATES, imageCredentials } from '../identity/credentials.js';
import type { UeProfile } from '../identity/ue-profile.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, manifestSchema, type Manifest, type ManifestArtifact, type SmokeSummary } from './manifest-schema.js';
import { localConfRecord } from './local-conf.js';
import { parsePackageList } from './package-list.js';
import { sha256File } from './sha256.js';
import type { SmokeInput } from './smoke-input.js';

/** The kernel command line the image boots with (AGL's qemuarm64 console settings). */
export const BOOT_CMDLINE = 'root=/dev/vda rw console=ttyAMA0,115200n8';
/** Names the smoke outputs get next to the manifest (and in the published version). */
export const SMOKE_JUNIT = 'junit.xml';
export const SMOKE_CONSOLE = 'console.log';

export interface ManifestInput {
  plan: BuildPlan;
  /** The directory `vvehicle convert` wrote; the manifest is written into it. */
  dir: string;
  boot: { memoryMiB: number; cpus: number };
  smoke?: SmokeInput;
  builderImageId?: string;
  buildId?: string;
  /** The build dir's conf/local.conf, recorded by sha256 (absent: the manifest says null). */
  localConf?: string;
  now?: () => Date;
}

export async function writeManifest(input: ManifestInput): Promise<{ path: string; manifest: Manifest; leftovers: string[] }> {
  const { dir, result, qcow2Path } = readConvertResult(input.dir);
  const leftovers = sweepLeftovers(dir);
  const { plan } = input;
  if (result.name !== plan.name || result.version !== plan.version) {
    throw new UserError(
      `${dir} holds ${result.name}-${result.version}, but the configuration is for ${plan.name}-${plan.version}`,
      'rerun `vvehicle convert` after changing name or version',
    );
  }
  for (const [file, size] of Object.entries(result.sizes)) {
    const st = statSync(join(dir, file), { throwIfNoEntry: false });
    if (!st || st.size !== size) throw new UserError(`${join(dir, file)} is missing or changed since convert`, 'rerun `vvehicle convert`');
  }
  const notes = [...result.notes];
  const artifacts = convertArtifacts(result);
  let smoke: SmokeSummary | null = null;
  if (input.smoke) {
    checkSmokeDisk(input.smoke, qcow2Path);
    smoke = smokeSummary(input.smoke);
    artifacts.push(...(await adoptSmokeFiles(input.smoke, dir)));
  } else notes.push('not smoke-tested: no smoke result was given');

  const created = (input.now?.() ?? new Date()).toISOString();
  const disk = result.qcow2;
  const manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: plan.name,
    version: plan.version,
    buildId: input.buildId ?? `${result.buildTimestamp ?? created.replace(/\D/g, '').slice(0, 14)}-${result.sha256s[disk]!.slice(0, 12)}`,
    created,
    toolVersion,
    profile: plan.profile,
    configDigest: plan.configDigest,
    agl: { release: plan.agl.release, codename: plan.agl.codename, yoctoSeries: plan.agl.yoctoSeries },
    machine: plan.machine,
    image: { target: plan.image.target, base: plan.image.base },
    ...sourcesOf(plan),
    localConf: input.localConf ? localConfRecord(input.localConf) : null,
    builder: { imageId: input.builderImageId ?? null },
    artifacts,
    boot: {
      method: 'direct-kernel',
      kernel: result.kernel,
      ...(result.initramfs ? { initrd: result.initramfs } : {}),
      disk,
      cmdline: BOOT_CMDLINE,
      machine: 'virt',
      cpu: 'cortex-a57',
      memoryMiB: input.boot.memoryMiB,
      cpus: input.boot.cpus,
      diskBus: 'virtio-blk-pci',
      nic: 'virtio-net-pci',
    },
    identity: manifestIdentity(plan.ue),
    ue: plan.ue,
    packages: packagesOf(dir, result),
    licenses: licensesOf(dir, result),
    sbom: result.sbom ? { path: result.sbom, format: result.sbom.endsWith('.spdx.json') ? 'spdx-3-json' : 'spdx-2.2-tar-zst' } : null,
    smoke,
    notes,
  };
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success) {
    // everything above came from checked inputs: a failure here is a bug, never written out
    throw new Error(`the manifest vvehicle built is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const path = join(dir, MANIFEST_FILE);
  writeFileAtomic(path, `${JSON.stringify(parsed.data, null, 2)}\n`);
  return { path, manifest: parsed.data, leftovers };
}

/** Git checkouts (with the patches applied to them) and, when there are any, the path repositories used in place. */
function sourcesOf(plan: BuildPlan): Pick<Manifest, 'sources' | 'localSources'> {
  const sources = plan.repos.flatMap((r) =>
    r.kind === 'git'
      ? [{
          name: r.name,
          url: r.url,
          ...(r.branch ? { branch: r.branch } : {}),
          commit: r.commit,
          ...(r.patches ? { patches: r.patches.map((p) => ({ id: p.id, files: p.files.map((f) => ({ name: basename(f.path), sha256: f.sha256 })) })) } : {}),
        }]
      : [],
  );
  const local = plan.repos.flatMap((r) =>
    r.kind === 'local'
      ? [{ name: r.name, path: r.path, kind: r.content.kind, ...(r.content.kind === 'git' ? { commit: r.content.commit, dirty: r.content.dirty } : {}), sha256: r.content.sha256 }]
      : [],
  );
  return { sources, ...(local.length ? { localSources: local } : {}) };
}

function convertArtifacts(r: ConvertResult): ManifestArtifact[] {
  const file = (path: string) => ({ path, sha256: r.sha256s[path]!, size: r.sizes[path]! });
  const list: ManifestArtifact[] = [
    {
      role: 'disk',
      ...file(r.qcow2),
      format: 'qcow2',
      virtualSize: r.info.virtualSize,
      clusterSize: r.info.clusterSize,
      compat: r.info.compat,
      compressed: r.info.compressed,
      backingFormat: 'qcow2',
    },
    { role: 'kernel', ...file(r.kernel), format: 'arm64-image' },
  ];
  if (r.initramfs) list.push({ role: 'initramfs', ...file(r.initramfs), format: 'cpio-archive' });
  if (r.packageManifest) list.push({ role: 'package-list', ...file(r.packageManifest), format: 'bitbake-manifest' });
  if (r.licenseManifest) list.push({ role: 'license-manifest', ...file(r.licenseManifest), format: 'yocto-license-manifest' });
  if (r.sbom) list.push({ role: 'sbom', ...file(r.sbom), format: r.sbom.endsWith('.spdx.json') ? 'spdx-3-json' : 'spdx-2.2-tar-zst' });
  if (r.testdata) list.push({ role: 'testdata', ...file(r.testdata), format: 'json' });
  if (r.qemuboot) list.push({ role: 'qemuboot', ...file(r.qemuboot), format: 'ini' });
  return list;
}

/** A verdict only counts for the disk it was taken on. */
function checkSmokeDisk(smoke: SmokeInput, qcow2Path: string): void {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  if (real(smoke.disk) !== real(qcow2Path)) {
    throw new UserError(`the smoke result is for ${smoke.disk}, not ${qcow2Path}`, `run \`vvehicle smoke --from ${join(qcow2Path, '..')}\` and pass its result`);
  }
}

function smokeSummary(s: SmokeInput): SmokeSummary {
  return {
    verdict: s.verdict,
    accel: s.accel,
    accelReason: s.accelReason,
    machine: s.machine,
    cpu: s.cpu,
    memoryMiB: s.memoryMiB,
    cpus: s.cpus,
    startedAt: s.startedAt,
    durationMs: s.durationMs,
    stages: s.stages.map((st) => ({ id: st.id, status: st.status, durationMs: st.durationMs, ...(st.message ? { message: st.message } : {}) })),
    probes: s.probes.map((p) => ({ id: p.id, status: p.status, durationMs: p.durationMs, detail: p.detail })),
    ...(s.failure ? { failure: { stage: s.failure.stage, message: s.failure.message } } : {}),
  };
}

/** Copies the smoke console log and JUnit next to the manifest (atomically) and lists them as artifacts. */
async function adoptSmokeFiles(smoke: SmokeInput, dir: string): Promise<ManifestArtifact[]> {
  const wanted: [string | undefined, string, 'smoke-console' | 'smoke-junit', 'text' | 'junit-xml'][] = [
    [smoke.consoleLog, SMOKE_CONSOLE, 'smoke-console', 'text'],
    [smoke.junit, SMOKE_JUNIT, 'smoke-junit', 'junit-xml'],
  ];
  const artifacts: ManifestArtifact[] = [];
  for (const [source, name, role, format] of wanted) {
    if (!source) continue;
    if (!existsSync(source)) throw new UserError(`the smoke result names ${source}, which does not exist`, 'rerun `vvehicle smoke`');
    const dest = join(dir, name);
    if (!existsSync(dest) || realpathSync(source) !== realpathSync(dest)) {
      const temp = tempSibling(dest, 'tmp');
      try {
        await copyFile(source, temp);
        renameSync(temp, dest);
      } catch (error) {
        removeTree(temp);
        throw error;
      }
    }
    artifacts.push({ role, path: basename(dest), sha256: await sha256File(dest), size: statSync(dest).size, format });
  }
  return artifacts;
}

function packagesOf(dir: string, r: ConvertResult): Manifest['packages'] {
  if (!r.packageManifest) return { source: null, count: 0, items: [] };
  const file = join(dir, r.packageManifest);
  const items = parsePackageList(readFileSync(file, 'utf8'), file);
  return { source: r.packageManifest, count: items.length, items };
}

function licensesOf(dir: string, r: ConvertResult): Manifest['licenses'] {
  if (!r.licenseManifest) {
    return {
      source: null,
      note: 'no license.manifest in tmp/deploy/licenses and no buildhistory record of the packages: licences are not summarised',
      flagPatterns: FLAG_PATTERNS,
      packageCount: 0,
      byLicense: {},
      flagged: [],
    };
  }
  const summary = summarizeLicenses(parseLicenseManifest(readFileSync(join(dir, r.licenseManifest), 'utf8')));
  return { source: r.licenseManifest, flagPatterns: FLAG_PATTERNS, ...summary };
}

/** What the image accepts as a vehicle's identity: the one contract of src/identity/credentials.ts. */
export function manifestIdentity(ue: UeProfile | null): Manifest['identity'] {
  return {
    credentials: imageCredentials(ue).map(({ name, required, secret, pattern, description }) => ({ name, required, secret, pattern, description })),
    delivery: { fwCfg: { namePrefix: FW_CFG_CREDENTIAL_PREFIX }, kernelCmdline: { parameter: 'systemd.set_credential', secrets: false } },
    health: { key: 'identity', states: [...IDENTITY_STATES] },
  };
}
