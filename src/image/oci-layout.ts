import { createHash } from 'node:crypto';
import { copyFileSync, constants, createWriteStream, linkSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar';
import { MANIFEST_FILE, type Manifest } from './manifest-schema.js';

/**
 * A KubeVirt containerDisk as an OCI image layout (what skopeo pushes), made without a container
 * engine: one gzip layer holding
 *   /disk/<name>-<version>.qcow2          owned 107:107 (KubeVirt's qemu user), the only file under /disk/
 *   /vvehicle/manifest.json               and every other artifact the manifest names
 *   /vvehicle/<name>-<version>.qcow2      a symlink to ../disk/…, so `vvehicle manifest verify` works on an extracted image
 * Every timestamp is the manifest's `created` and owners are fixed, so the same manifest and files
 * always give the same image digest (a re-push is recognisable, and what we verify is what we computed).
 */
export const CONTAINER_DISK_DIR = 'disk';
export const CONTAINER_METADATA_DIR = 'vvehicle';
export const CONTAINER_MANIFEST_PATH = `/${CONTAINER_METADATA_DIR}/${MANIFEST_FILE}`;
/** KubeVirt runs QEMU as uid/gid 107 and reads the disk from /disk/. */
export const KUBEVIRT_QEMU_ID = 107;
export const DISK_SHA256_ANNOTATION = 'io.vvehicle.disk.sha256';

const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** OCI platform architecture of the guest the disk boots (a containerDisk is pulled onto a node of that arch). */
const ARCHITECTURE: Record<string, string> = { qemuarm64: 'arm64' };

export interface OciLayout {
  dir: string;
  /** sha256:… of the image manifest: the digest the registry must report for the tag. */
  manifestDigest: string;
  annotations: Record<string, string>;
  layerBytes: number;
}

/** The annotations (on the image manifest) and labels (in the image config) a fleet tool reads without pulling the disk. */
export function imageAnnotations(manifest: Manifest): Record<string, string> {
  const disk = manifest.artifacts.find((a) => a.role === 'disk')!;
  return {
    'org.opencontainers.image.title': manifest.name,
    'org.opencontainers.image.version': manifest.version,
    'org.opencontainers.image.created': manifest.created,
    'org.opencontainers.image.revision': manifest.configDigest,
    [DISK_SHA256_ANNOTATION]: disk.sha256,
    'io.vvehicle.disk.path': `/${CONTAINER_DISK_DIR}/${disk.path}`,
    'io.vvehicle.manifest.path': CONTAINER_MANIFEST_PATH,
    'io.vvehicle.build-id': manifest.buildId,
  };
}

function digestOf(bytes: string | Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** Writes JSON as a blob; the bytes written are the bytes hashed. */
function writeJsonBlob(dir: string, value: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = digestOf(bytes);
  writeFileSync(blobPath(dir, digest), bytes);
  return { digest, size: bytes.length };
}

function hashing(hash: ReturnType<typeof createHash>, count?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count?.(chunk.length);
      done(null, chunk);
    },
  });
}

/** Hard link where we can (no copy of a multi-GB disk), a copy (or reflink) across filesystems. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to, constants.COPYFILE_FICLONE);
  }
}

/**
 * The most the layout takes on the file system of its source (beside which it is made, so the files are hard
 * links and cost nothing): the gzip layer is at most its tar (a header or three per entry, sizes rounded up to
 * 512, the end blocks) plus zlib's deflateBound overhead, and the JSON blobs take a few KiB.
 */
export function containerDiskLayoutBound(fromDir: string, manifest: Manifest): number {
  const files = [MANIFEST_FILE, ...manifest.artifacts.map((a) => a.path)];
  const data = files.reduce((sum, f) => sum + Math.ceil(statSync(join(fromDir, f)).size / 512) * 512, 0);
  const tarBytes = data + (files.length + 4) * 3 * 512 + 10240;
  const gzipBytes = tarBytes + (tarBytes >> 12) + (tarBytes >> 14) + (tarBytes >> 25) + 13 + 18;
  return gzipBytes + 64 * 1024;
}

/**
 * Builds the layout in `dir` (created, must not exist) from a directory holding a verified manifest
 * and its artifacts. `onBytes` reports the layer's uncompressed bytes as they are packed.
 */
export async function writeContainerDiskLayout(
  fromDir: string,
  manifest: Manifest,
  dir: string,
  options: { signal?: AbortSignal; onBytes?: (done: number, total: number) => void } = {},
): Promise<OciLayout> {
  const disk = manifest.artifacts.find((a) => a.role === 'disk')!;
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  mkdirSync(join(rootfs, CONTAINER_DISK_DIR), { recursive: true });
  mkdirSync(join(rootfs, CONTAINER_METADATA_DIR));
  linkOrCopy(join(fromDir, disk.path), join(rootfs, CONTAINER_DISK_DIR, disk.path));
  const others = manifest.artifacts.filter((a) => a.role !== 'disk').map((a) => a.path);
  for (const file of [MANIFEST_FILE, ...others]) linkOrCopy(join(fromDir, file), join(rootfs, CONTAINER_METADATA_DIR, file));
  symlinkSync(`../${CONTAINER_DISK_DIR}/${disk.path}`, join(rootfs, CONTAINER_METADATA_DIR, disk.path));

  const entries = [
    `${CONTAINER_DISK_DIR}/`,
    `${CONTAINER_DISK_DIR}/${disk.path}`,
    `${CONTAINER_METADATA_DIR}/`,
    ...[MANIFEST_FILE, ...others, disk.path].sort().map((f) => `${CONTAINER_METADATA_DIR}/${f}`),
  ];
  const total = entries.reduce((sum, e) => sum + (e.endsWith('/') ? 0 : statSync(join(rootfs, e), { throwIfNoEntry: false })?.size ?? 0), 0);
  const created = new Date(manifest.created);
  const pack = tar.create(
    {
      cwd: rootfs,
      noDirRecurse: true,
      mtime: created,
      // fixed owners and times: the layer digest depends only on content (reproducible pushes)
      onWriteEntry: (entry) => {
        const stat = entry.stat as unknown as { uid: number; gid: number; atime: Date; ctime: Date; mode: number };
        const onDisk = entry.path.startsWith(`${CONTAINER_DISK_DIR}/`);
        stat.uid = onDisk ? KUBEVIRT_QEMU_ID : 0;
        stat.gid = onDisk ? KUBEVIRT_QEMU_ID : 0;
        stat.atime = created;
        stat.ctime = created;
        if (entry.type === 'File') stat.mode = (stat.mode & ~0o7777) | 0o444;
        if (entry.type === 'Directory') stat.mode = (stat.mode & ~0o7777) | 0o555;
      },
    },
    entries,
  );
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let done = 0;
  let layerBytes = 0;
  const layerTemp = join(dir, 'layer.tar.gz');
  await pipeline(
    pack as unknown as NodeJS.ReadableStream,
    hashing(diffHash, (n) => options.onBytes?.((done += n), total)),
    createGzip(),
    hashing(blobHash, (n) => (layerBytes += n)),
    createWriteStream(layerTemp),
    { signal: options.signal },
  );
  const layerDigest = `sha256:${blobHash.digest('hex')}`;
  linkOrCopy(layerTemp, blobPath(dir, layerDigest));

  const annotations = imageAnnotations(manifest);
  const config = writeJsonBlob(dir, {
    created: manifest.created,
    architecture: ARCHITECTURE[manifest.machine] ?? 'arm64',
    os: 'linux',
    config: { Labels: annotations },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffHash.digest('hex')}`] },
    history: [{ created: manifest.created, created_by: `vvehicle publish: KubeVirt containerDisk of ${disk.path}` }],
  });
  const imageManifest = writeJsonBlob(dir, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, ...config },
    layers: [{ mediaType: MEDIA.layer, digest: layerDigest, size: layerBytes }],
    annotations,
  });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MEDIA.manifest, ...imageManifest, annotations: { 'org.opencontainers.image.ref.name': manifest.version } }],
    }),
  );
  return { dir, manifestDigest: imageManifest.digest, annotations, layerBytes };
}
