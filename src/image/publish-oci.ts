import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { diskFaultCode, DiskSpaceError } from '../faults.js';
import { onCleanup } from '../signals.js';
import { pausePoint } from '../test-pause.js';
import { copyImage, inspectRaw, listTags, type RegistryAccess, type SkopeoFailure } from '../tools/skopeo.js';
import { removeTree, sweepLeftovers, tempSibling } from '../files/atomic.js';
import { MANIFEST_FILE } from './manifest-schema.js';
import { CONTAINER_MANIFEST_PATH, containerDiskLayoutBound, DISK_SHA256_ANNOTATION, writeContainerDiskLayout } from './oci-layout.js';
import { readPublishable } from './publish.js';
import type { PublishTarget } from './publish-target.js';
import { verifyManifest, type VerifyReporter } from './verify.js';

/** Registry queries give up after this long: a registry that is down must not hold a pipeline. */
export const DEFAULT_REGISTRY_TIMEOUT_SEC = 30;

export interface OciPublishInput {
  from: string;
  target: Extract<PublishTarget, { kind: 'oci' }>;
  channel: string;
  /** Talk plain HTTP / accept any certificate; implied for a registry on the loopback address. */
  insecure: boolean;
  /** Bound of each registry query (seconds); the push gets this plus time for its size. */
  timeoutSec: number;
  signal?: AbortSignal;
  report?: { step(title: string): void; note?(text: string): void } & Partial<VerifyReporter>;
}

export interface OciPublishResult {
  reference: string;
  digest: string;
  channelReference: string;
  previousChannelDigest?: string;
  annotations: Record<string, string>;
  manifestPath: string;
}

/** Not an error for a first publish: the repository (or the tag) simply does not exist yet. */
const ABSENT = /manifest unknown|name unknown|NAME_UNKNOWN|MANIFEST_UNKNOWN|repository name not known|not found/i;

/**
 * `publish --to oci://HOST[:PORT]/REPO`: the same rules as a directory publish, for a registry.
 * - the version tag is never overwritten (checked before anything is sent; exit 2);
 * - the tag only appears when the registry accepts the manifest, which is pushed after every blob:
 *   a push that fails half-way leaves unreferenced blobs, never a tag pointing at half an image;
 * - afterwards the tag must resolve to exactly the manifest digest we computed (the registry checked
 *   every blob against its digest on upload), and only then does the channel tag move.
 * Registries have no create-if-absent for tags: two publishers racing on one version are caught by that
 * last check (the loser's digest differs), not prevented.
 */
export async function publishToRegistry(input: OciPublishInput): Promise<OciPublishResult> {
  const { from, manifest, disk } = readPublishable(input.from);
  const { registry, repository } = input.target;
  const repo = `docker://${registry}/${repository}`;
  const reference = `${registry}/${repository}:${manifest.version}`;
  const channelReference = `${registry}/${repository}:${input.channel}`;
  const access: RegistryAccess = { tlsVerify: !(input.insecure || input.target.loopback), timeoutSec: input.timeoutSec };
  const options = { signal: input.signal };

  input.report?.step(`ask ${registry} for the tags of ${repository}`);
  const tags = await listTags(repo, access, options);
  if (tags.failed && !ABSENT.test(tags.reason)) throw unreachable(registry, tags, input);
  if (!tags.failed && tags.tags.includes(manifest.version)) {
    throw new UserError(
      `${manifest.name} ${manifest.version} is already published as ${reference}; published versions are never overwritten`,
      'bump `version` in the configuration and rebuild, or publish to another repository',
    );
  }

  input.report?.step('verify the files against the manifest');
  await verifyManifest(join(from, MANIFEST_FILE), { artifact: () => {}, bytes: () => {}, ...input.report }, input.signal);

  // a publish killed while packing left its layout (possibly gigabytes) beside the published dir
  for (const text of sweepLeftovers(dirname(from))) input.report?.note?.(text);
  const staging = tempSibling(from, 'oci');
  mkdirSync(staging);
  const forget = onCleanup(() => removeTree(staging));
  try {
    input.report?.step(`pack the containerDisk (${disk.path} under /disk/)`);
    const layoutDir = join(staging, 'layout');
    const layout = await writeContainerDiskLayout(from, manifest, layoutDir, { signal: input.signal, onBytes: input.report?.bytes }).catch((e: unknown) => {
      const code = diskFaultCode(e);
      if (!code) throw e;
      // the free space the user has for a rerun: measured with the half-written layout gone
      removeTree(staging);
      const hint = `the layout is packed beside ${from}: free space on that file system, or put the work dir (-w) or --from on a larger one, then rerun`;
      throw new DiskSpaceError(code, staging, { atMost: containerDiskLayoutBound(from, manifest) }, undefined, hint);
    });

    await pausePoint('publish-oci:staged');
    input.report?.step(`push ${reference}`);
    const digestFile = join(staging, 'pushed.digest');
    // a push may take long, but not forever: the query bound plus one second per MiB (1 MiB/s is a slow link)
    const pushAccess = { ...access, timeoutSec: input.timeoutSec + 300 + Math.ceil(layout.layerBytes / 2 ** 20), digestFile };
    const pushed = await copyImage(`oci:${layoutDir}:${manifest.version}`, `${repo}:${manifest.version}`, pushAccess, options);
    if (pushed.failed) {
      // the tag is written last, with the manifest: say whether the registry got that far
      const tagged = !(await inspectRaw(`${repo}:${manifest.version}`, access, options)).failed;
      throw pushFailed(reference, pushed, input, tagged);
    }
    const pushedDigest = readFileSync(digestFile, 'utf8').trim();
    if (pushedDigest !== layout.manifestDigest) throw new Error(`skopeo pushed ${pushedDigest}, but the layout's manifest is ${layout.manifestDigest}`);

    input.report?.step(`verify ${reference}`);
    await verifyRemote(`${repo}:${manifest.version}`, layout.manifestDigest, disk.sha256, access, input);

    input.report?.step(`point ${channelReference} at ${manifest.version}`);
    const before = await inspectRaw(`${repo}:${input.channel}`, access, options);
    const previousChannelDigest = before.failed ? undefined : digestOf(before.raw);
    const moved = await copyImage(`${repo}@${layout.manifestDigest}`, `${repo}:${input.channel}`, { ...access, digestFile }, options);
    if (moved.failed) throw new UserError(`${reference} is published, but pointing ${channelReference} at it failed: ${moved.reason}`, `rerun with another --channel, or retag by hand: skopeo copy --preserve-digests ${repo}@${layout.manifestDigest} ${repo}:${input.channel}`);
    await verifyRemote(`${repo}:${input.channel}`, layout.manifestDigest, disk.sha256, access, input);
    return {
      reference,
      digest: layout.manifestDigest,
      channelReference,
      ...(previousChannelDigest && previousChannelDigest !== layout.manifestDigest ? { previousChannelDigest } : {}),
      annotations: layout.annotations,
      manifestPath: CONTAINER_MANIFEST_PATH,
    };
  } finally {
    removeTree(staging);
    forget();
  }
}

function digestOf(raw: string): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The tag must resolve to the manifest we computed, byte for byte, and carry the disk's sha256. */
async function verifyRemote(ref: string, digest: string, diskSha256: string, access: RegistryAccess, input: OciPublishInput): Promise<void> {
  const remote = await inspectRaw(ref, access, { signal: input.signal });
  if (remote.failed) throw unreachable(input.target.registry, remote, input);
  const actual = digestOf(remote.raw);
  const annotations = (JSON.parse(remote.raw) as { annotations?: Record<string, string> }).annotations ?? {};
  if (actual !== digest || annotations[DISK_SHA256_ANNOTATION] !== diskSha256) {
    throw new UserError(
      `${ref.slice('docker://'.length)} resolves to ${actual}, not the ${digest} just pushed: another publish of the same tag ran at the same time`,
      'check who else publishes this version; published versions are never overwritten, so bump `version` and rebuild',
    );
  }
}

function hintFor(input: OciPublishInput): string {
  const tls = input.insecure || input.target.loopback ? '' : '; a plain-HTTP or self-signed registry needs --insecure';
  return `start the registry or fix --to (tried ${input.target.registry} for ${input.timeoutSec}s${tls}); credentials come from \`skopeo login ${input.target.registry}\` (or podman/docker login)`;
}

function unreachable(registry: string, failure: SkopeoFailure, input: OciPublishInput): UserError {
  return new UserError(`cannot reach the registry ${registry}: ${failure.reason}`, hintFor(input));
}

function pushFailed(reference: string, failure: SkopeoFailure, input: OciPublishInput, tagged: boolean): UserError {
  const state = tagged ? 'the registry has the tag nonetheless (check it with `skopeo inspect`)' : 'the tag was not written';
  return new UserError(`pushing ${reference} failed, ${state}: ${failure.reason}`, hintFor(input));
}
