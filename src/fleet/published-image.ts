import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { MANIFEST_FILE, type Manifest } from '../image/manifest-schema.js';
import { channelSchema, SHA256SUMS } from '../image/publish.js';
import { sha256File } from '../image/sha256.js';
import { readManifestFile } from '../image/verify.js';

/**
 * What a fleet boots: a PUBLISHED image, read only through its manifest (the contract with fleet
 * tools). `--image` may name the manifest.json, its version directory, or a channel file
 * (<name>/channels/<channel>.json, which points at a version).
 */
export interface PublishedImage {
  manifestPath: string;
  manifest: Manifest;
  dir: string;
  disk: string;
  kernel: string;
  initrd?: string;
}

export function openPublishedImage(spec: string): PublishedImage {
  const manifestPath = manifestPathOf(resolve(spec));
  const manifest = readManifestFile(manifestPath);
  const dir = dirname(manifestPath);
  const published = existsSync(join(dir, SHA256SUMS)) && basename(dir) === manifest.version && basename(dirname(dir)) === manifest.name;
  if (!published) {
    throw new UserError(
      `${manifestPath} is not a published image (want <publish dir>/${manifest.name}/${manifest.version}/manifest.json next to ${SHA256SUMS})`,
      'publish it first: `vvehicle publish --from <dir> --to <publish dir>`; fleets boot only published, immutable images',
    );
  }
  const initrd = manifest.boot.initrd;
  return {
    manifestPath,
    manifest,
    dir,
    disk: join(dir, manifest.boot.disk),
    kernel: join(dir, manifest.boot.kernel),
    ...(initrd ? { initrd: join(dir, initrd) } : {}),
  };
}

function manifestPathOf(path: string): string {
  if (!existsSync(path)) throw new UserError(`${path} does not exist`, 'pass --image <publish dir>/<name>/<version>/manifest.json (or the version dir, or a channel file)');
  if (statSync(path).isDirectory()) return join(path, MANIFEST_FILE);
  if (basename(dirname(path)) === 'channels') {
    const parsed = channelSchema.safeParse(safeJson(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new UserError(`${path} is not a vvehicle channel file`, 'pass a manifest.json, its version dir, or <name>/channels/<channel>.json');
    return resolve(dirname(path), parsed.data.manifest);
  }
  return path;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The backing file must be exactly what the manifest describes: hashed before anything boots on it. */
export async function checkDiskSha256(image: PublishedImage, expected: string, signal?: AbortSignal, onBytes?: (done: number, total: number) => void): Promise<void> {
  const disk = image.manifest.artifacts.find((a) => a.role === 'disk')!;
  if (disk.sha256 !== expected) {
    throw new UserError(`${image.manifestPath} now names a disk with sha256 ${disk.sha256}, but the fleet was planned on ${expected}`, 'plan the fleet again on this image (`vvehicle fleet plan`)');
  }
  if (!existsSync(image.disk)) throw new UserError(`${image.disk}, named by ${image.manifestPath}, is missing`);
  const total = statSync(image.disk).size;
  const actual = await sha256File(image.disk, (done) => onBytes?.(done, total), signal);
  if (actual !== disk.sha256) {
    throw new UserError(`${image.disk}: sha256 ${actual} does not match the manifest's ${disk.sha256}`, 'the published disk changed or is corrupt: republish the image, never boot a disk the manifest does not describe');
  }
}
