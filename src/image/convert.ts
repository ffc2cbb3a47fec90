import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { onCleanup } from '../signals.js';
import { freeBytesAt, requireSpace } from '../faults.js';
import { pausePoint } from '../test-pause.js';
import { checkImage, convertToQcow2, imageInfo, measureQcow2, type Qcow2Options } from '../tools/qemu-img.js';
import { discoverArtifacts, type DeployArtifacts, type FoundArtifact } from './artifacts.js';
import { CONVERT_RESULT_FILE, convertResultSchema, type ConvertResult } from './convert-result.js';
import { removeTree, sweepLeftovers, tempSibling, writeFileAtomic } from '../files/atomic.js';
import { copyWithSha256, sha256File } from './sha256.js';
import { buildhistoryDirFor, licensesFromBuildhistory } from './buildhistory.js';
import { parsePackageList } from './package-list.js';
import { renderTemplate } from '../templates.js';

/**
 * deploy dir → output dir holding the qcow2 backing file, the kernel and the image's metadata,
 * plus convert.json describing them. The output dir appears complete or not at all.
 */
export interface ConvertInput {
  deployDir: string;
  image: string;
  /** image.initramfs: a file name in the deploy dir to ship with the kernel. */
  initramfs?: string;
  machine: string;
  name: string;
  version: string;
  outDir: string;
  qcow2: Qcow2Options;
  logFile?: string;
  signal?: AbortSignal;
  /** Clock for convert.json's `created` (tests pass a fixed one). */
  now?: () => Date;
}

export interface ConvertReporter {
  step(title: string): void;
  progress(text: string): void;
  /** Something the user should know that is not progress (a leftover of a killed run removed). */
  note?(text: string): void;
}

const silent: ConvertReporter = { step: () => {}, progress: () => {} };

/** The file names inside the output dir; publish keeps them, so a manifest's relative paths hold in both. */
export function outputNames(name: string, version: string, sbomSource?: string, initramfsName?: string) {
  return {
    qcow2: `${name}-${version}.qcow2`,
    kernel: 'Image',
    // keeps its deploy name: its suffix (.cpio.gz, .cpio.zst …) says how it is compressed
    initramfs: initramfsName ?? 'initramfs',
    packageManifest: 'packages.txt',
    licenseManifest: 'license.manifest',
    testdata: 'testdata.json',
    qemuboot: 'qemuboot.conf',
    sbom: sbomSource?.endsWith('.spdx.json') ? `${name}-${version}.spdx.json` : `${name}-${version}.spdx.tar.zst`,
  };
}

/** Finds the artifacts first (bad input fails before anything is written), then converts. */
export function findArtifacts(input: Pick<ConvertInput, 'deployDir' | 'image' | 'machine' | 'initramfs'>): DeployArtifacts {
  return discoverArtifacts({ deployDir: input.deployDir, image: input.image, machine: input.machine, ...(input.initramfs ? { initramfs: input.initramfs } : {}) });
}

export async function convertImage(input: ConvertInput, found: DeployArtifacts, report: ConvertReporter = silent): Promise<ConvertResult> {
  const outDir = resolve(input.outDir);
  const parent = resolve(outDir, '..');
  mkdirSync(parent, { recursive: true });
  for (const note of sweepLeftovers(parent)) report.note?.(note);
  // the staging dir is a sibling of outDir, and the previous output stays until the new one is whole
  requireSpace(parent, await bytesNeeded(input, found, freeBytesAt(parent)), `${input.name}-${input.version}`);
  const staging = tempSibling(outDir, 'staging');
  mkdirSync(staging);
  const forget = onCleanup(() => removeTree(staging));
  try {
    const result = await fillStaging(input, found, staging, report);
    await pausePoint('convert:staged');
    report.step('move the output into place');
    replaceDir(staging, outDir);
    return result;
  } catch (error) {
    removeTree(staging);
    throw error;
  } finally {
    forget();
  }
}

/**
 * What the output will take: qemu-img's measure of the qcow2 (a compressed one is smaller by an amount
 * only the conversion tells, so it is not counted) plus the side files and a margin for the metadata.
 * qemu-img measure costs a process start: it runs only when the free space is below what the qcow2 can take at
 * most (every byte of the raw source allocated, plus its L2 and refcount tables), where the exact figure matters.
 */
async function bytesNeeded(input: ConvertInput, found: DeployArtifacts, free: number | undefined): Promise<number> {
  const sides = [found.kernel, found.packageManifest, found.licenseManifest, found.testdata, found.qemuboot, found.sbom];
  const sideBytes = sides.reduce((sum, a) => sum + (a ? statSync(a.resolved).size : 0), 0) + 256 * 1024;
  if (input.qcow2.compress) return sideBytes;
  const upperBound = qcow2UpperBound(statSync(found.rootfs.resolved).size, input.qcow2.clusterSize);
  if (free === undefined || free >= upperBound + sideBytes) return upperBound + sideBytes;
  return (await measureQcow2(found.rootfs.resolved, input.qcow2, { signal: input.signal, logFile: input.logFile })).required + sideBytes;
}

/** A fully allocated qcow2 of `virtualBytes`: data clusters, 8 bytes of L2 and 2 of refcount per cluster, header and L1. */
export function qcow2UpperBound(virtualBytes: number, clusterSize: number): number {
  const clusters = Math.ceil(virtualBytes / clusterSize);
  const tableClusters = Math.ceil((clusters * 8) / clusterSize) + Math.ceil((clusters * 2) / clusterSize) + 4;
  return (clusters + tableClusters) * clusterSize + clusterSize;
}

async function fillStaging(input: ConvertInput, found: DeployArtifacts, staging: string, report: ConvertReporter): Promise<ConvertResult> {
  const names = outputNames(input.name, input.version, found.sbom?.resolved, found.initramfs ? basename(found.initramfs.path) : undefined);
  const copies: [keyof typeof names, FoundArtifact | undefined][] = [
    ['kernel', found.kernel],
    ['initramfs', found.initramfs],
    ['packageManifest', found.packageManifest],
    ['licenseManifest', found.licenseManifest],
    ['testdata', found.testdata],
    ['qemuboot', found.qemuboot],
    ['sbom', found.sbom],
  ];
  const present = copies.filter((c): c is [keyof typeof names, FoundArtifact] => c[1] !== undefined);
  const sha256s: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  const sources: Record<string, string> = { [names.qcow2]: found.rootfs.resolved };
  const notes = [...found.notes];
  const extra: { licenseManifest?: string } = {};

  report.step(`convert ${basename(found.rootfs.resolved)} to qcow2`);
  const qcow2Path = join(staging, names.qcow2);
  // the side files are small: copy and hash them while qemu-img works
  const sideFiles = (async () => {
    for (const [key, artifact] of present) {
      const dest = join(staging, names[key]);
      // one read: hashed on its way to the copy
      const copied = await copyWithSha256(artifact.resolved, dest, input.signal);
      sha256s[names[key]] = copied.sha256;
      sizes[names[key]] = copied.bytes;
      sources[names[key]] = artifact.resolved;
    }
    if (!found.licenseManifest && found.packageManifest) {
      const generated = await licenseManifestFromBuildhistory(found, join(staging, names.licenseManifest), notes);
      if (generated) {
        sha256s[names.licenseManifest] = await sha256File(join(staging, names.licenseManifest), undefined, input.signal);
        sizes[names.licenseManifest] = statSync(join(staging, names.licenseManifest)).size;
        sources[names.licenseManifest] = generated;
        extra.licenseManifest = names.licenseManifest;
      }
    }
  })();
  // if copying a side file fails, qemu-img must not go on writing into a staging dir being removed
  const stop = new AbortController();
  const conversion = convertToQcow2(found.rootfs.resolved, qcow2Path, input.qcow2, {
    signal: input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal,
    logFile: input.logFile,
    onProgress: (p) => report.progress(`${p.toFixed(0)}%`),
  });
  try {
    await Promise.all([conversion, sideFiles]);
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled([conversion, sideFiles]);
    throw error;
  }

  report.step('check the qcow2 and hash it');
  const qcow2Size = statSync(qcow2Path).size;
  const [, info, qcow2Sha] = await Promise.all([
    checkImage(qcow2Path, { signal: input.signal, logFile: input.logFile }),
    imageInfo(qcow2Path, 'qcow2', { signal: input.signal, logFile: input.logFile }),
    sha256File(qcow2Path, (done) => report.progress(`sha256 ${percent(done, qcow2Size)}`), input.signal),
  ]);
  sha256s[names.qcow2] = qcow2Sha;
  sizes[names.qcow2] = qcow2Size;

  const result = convertResultSchema.parse({
    convertVersion: 1,
    name: input.name,
    version: input.version,
    image: input.image,
    machine: input.machine,
    qcow2: names.qcow2,
    kernel: names.kernel,
    rootfsSource: found.rootfs.resolved,
    ...(found.rootfs.timestamp ? { buildTimestamp: found.rootfs.timestamp } : {}),
    ...Object.fromEntries(present.filter(([key]) => key !== 'kernel').map(([key]) => [key, names[key]])),
    ...extra,
    sources: sorted(sources),
    sha256s: sorted(sha256s),
    sizes: sorted(sizes),
    info: {
      format: info.format,
      virtualSize: info.virtualSize,
      clusterSize: info.clusterSize,
      compat: info.compat,
      compressed: input.qcow2.compress,
    },
    created: (input.now?.() ?? new Date()).toISOString(),
    notes,
  });
  writeFileAtomic(join(staging, CONVERT_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/**
 * Without bitbake's license.manifest, writes one in the same format from buildhistory (the plan's
 * conf inherits it), so the licence summary still covers the image. Returns the buildhistory dir used.
 */
async function licenseManifestFromBuildhistory(found: DeployArtifacts, dest: string, notes: string[]): Promise<string | undefined> {
  const dir = buildhistoryDirFor(found.deployDir);
  const packages = parsePackageList(await readFile(found.packageManifest!.resolved, 'utf8'), found.packageManifest!.resolved).map((p) => p.name);
  const result = licensesFromBuildhistory(dir, packages);
  if (!result?.found.length) return undefined;
  await writeFile(dest, renderTemplate('image/license.manifest.hbs', { packages: result.found }));
  notes.push(
    `licence manifest: generated from buildhistory (${dir}) for ${result.found.length} of ${packages.length} packages` +
      (result.missing.length ? `; no record for ${result.missing.join(', ')}` : ''),
  );
  return dir;
}

/** Swaps a complete new dir in for the old one; the old one is removed only once the new one is in place. */
function replaceDir(staging: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  const old = tempSibling(target, 'old');
  renameSync(target, old);
  try {
    renameSync(staging, target);
  } catch (error) {
    renameSync(old, target);
    throw error;
  }
  removeTree(old);
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.floor((done / total) * 100)}%` : `${done} bytes`;
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
