import { chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tar from 'tar';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { requireSpace } from '../faults.js';
import { acquireLock } from '../files/process-lock.js';
import { onCleanup } from '../signals.js';
import { pausePoint } from '../test-pause.js';
import { removeTree, sweepLeftovers, tempSibling, writeFileAtomic } from '../files/atomic.js';
import { MANIFEST_FILE, type Manifest } from './manifest-schema.js';
import { renderTemplate } from '../templates.js';
import { sha256File } from './sha256.js';
import { readManifestFile, verifyManifest, type VerifyReporter } from './verify.js';

/**
 * The published layout fleet tools and CI consume:
 *   DIR/<name>/<version>/            read-only, never overwritten
 *     <name>-<version>.qcow2  Image  manifest.json  SHA256SUMS  packages.txt  junit.xml  console.log  SBOM …
 *     <name>-<version>.tar           with --bundle: the version's files (all but SHA256SUMS)
 *   DIR/<name>/channels/<channel>.json   which version a channel points at (replaced atomically)
 * The version dir is assembled in a staging dir beside it and renamed into place. One publish of a
 * name runs at a time (DIR/<name>/.publish.lock). The new channel pointer is written as
 * channels/.<channel>.json.pending before the version appears and renamed over the channel after,
 * so a run killed in between is finished by the next one (the version is there) or undone (it is not).
 */
export const SHA256SUMS = 'SHA256SUMS';
export const CHANNELS_DIR = 'channels';

export const channelSchema = z.strictObject({
  channelVersion: z.literal(1),
  name: z.string(),
  channel: z.string(),
  version: z.string(),
  buildId: z.string(),
  /** Relative to the channel file. */
  manifest: z.string(),
  manifestSha256: z.string(),
  disk: z.string(),
  diskSha256: z.string(),
  published: z.string(),
});
export type ChannelPointer = z.infer<typeof channelSchema>;

export interface PublishInput {
  /** A directory holding manifest.json (what `vvehicle manifest` wrote). */
  from: string;
  to: string;
  channel: string;
  bundle: boolean;
  signal?: AbortSignal;
  now?: () => Date;
  report?: { step(title: string): void; note?(text: string): void } & Partial<VerifyReporter>;
}

export interface PublishResult {
  versionDir: string;
  files: string[];
  channelFile: string;
  previousChannelVersion?: string;
  bundle?: string;
  /** Set when this publish was finished from what an interrupted run had left. */
  completedInterrupted?: boolean;
}

/**
 * What every publish target refuses alike (a directory or a registry): a manifest that is not valid,
 * a disk not named <name>-<version>.qcow2, an image that failed its smoke test, a missing artifact.
 */
export function readPublishable(fromDir: string): { from: string; manifest: Manifest; disk: Manifest['artifacts'][number] } {
  const from = resolve(fromDir);
  const manifest = readManifestFile(join(from, MANIFEST_FILE));
  const disk = manifest.artifacts.find((a) => a.role === 'disk')!;
  if (disk.path !== `${manifest.name}-${manifest.version}.qcow2`) {
    throw new UserError(`the disk is ${disk.path}; the published layout needs ${manifest.name}-${manifest.version}.qcow2`, 'rerun `vvehicle convert` and `vvehicle manifest`');
  }
  if (manifest.smoke?.verdict === 'fail') {
    throw new UserError(`${manifest.name} ${manifest.version} failed its smoke test (${manifest.smoke.failure?.stage ?? 'see junit.xml'}): not publishing it`, 'fix the image and rerun the pipeline');
  }
  for (const a of manifest.artifacts) {
    if (!existsSync(join(from, a.path))) throw new UserError(`${a.role} ${a.path}, named in ${join(from, MANIFEST_FILE)}, is missing from ${from}`, 'rerun `vvehicle convert` and `vvehicle manifest`');
  }
  return { from, manifest, disk };
}

export async function publishImage(input: PublishInput): Promise<PublishResult> {
  const { from, manifest } = readPublishable(input.from);
  const nameDir = join(resolve(input.to), manifest.name);
  const versionDir = join(nameDir, manifest.version);
  mkdirSync(nameDir, { recursive: true });
  const lock = acquireLock(join(nameDir, '.publish.lock'), `publishing ${manifest.name} in ${nameDir}`);
  const forgetLock = onCleanup(() => lock.release());
  try {
    const note = (text: string) => input.report?.note?.(text);
    if (lock.recovered) note(lock.recovered);
    for (const text of sweepLeftovers(nameDir)) note(text);
    const finished = finishInterrupted(nameDir, note);
    const mine = finished.find((f) => f.channel === input.channel && f.pointer.version === manifest.version);
    if (mine && mine.pointer.manifestSha256 === (await sha256File(join(from, MANIFEST_FILE)))) {
      return { versionDir, files: readdirSync(versionDir).sort(), channelFile: mine.channelFile, ...(mine.previous ? { previousChannelVersion: mine.previous } : {}), completedInterrupted: true };
    }
    refuseExisting(versionDir, manifest);
    const files = [MANIFEST_FILE, ...manifest.artifacts.map((a) => a.path)];
    const bytes = files.reduce((sum, f) => sum + statSync(join(from, f)).size, 0);
    // the copies, the bundle (about as large again) and a margin for SHA256SUMS and the channel
    requireSpace(nameDir, bytes * (input.bundle ? 2 : 1) + 256 * 1024, `${manifest.name} ${manifest.version}`);
    return await stageAndPublish(input, from, manifest, files, nameDir, versionDir);
  } finally {
    lock.release();
    forgetLock();
  }
}

async function stageAndPublish(input: PublishInput, from: string, manifest: Manifest, files: string[], nameDir: string, versionDir: string): Promise<PublishResult> {
  const staging = tempSibling(versionDir, 'staging');
  mkdirSync(staging);
  const forget = onCleanup(() => removeTree(staging));
  let pending: string | undefined;
  try {
    input.report?.step(`copy ${manifest.artifacts.length + 1} files`);
    // from here on, only the staged copy counts: what is hashed is what is published
    for (const file of files) await copyFile(join(from, file), join(staging, file), constants.COPYFILE_FICLONE);

    input.report?.step('verify the copies against the manifest');
    const { manifest: staged } = await verifyManifest(join(staging, MANIFEST_FILE), { artifact: () => {}, bytes: () => {}, ...input.report }, input.signal);

    let bundle: string | undefined;
    if (input.bundle) {
      bundle = `${manifest.name}-${manifest.version}.tar`;
      input.report?.step(`bundle ${bundle}`);
      await tar.create({ file: join(staging, bundle), cwd: staging, portable: true, prefix: `${manifest.name}-${manifest.version}` }, files);
    }
    const listed = [...files, ...(bundle ? [bundle] : [])].sort();
    // the artifacts were just verified against the manifest: their sums are the manifest's; only the
    // manifest itself and the bundle still need hashing (no second pass over a multi-GB disk)
    const known = new Map(staged.artifacts.map((a) => [a.path, a.sha256]));
    const sums: { path: string; sha256: string }[] = [];
    for (const path of listed) sums.push({ path, sha256: known.get(path) ?? (await sha256File(join(staging, path), undefined, input.signal)) });
    writeFileAtomic(join(staging, SHA256SUMS), renderTemplate('publish/SHA256SUMS.hbs', { files: sums }));

    for (const file of [...listed, SHA256SUMS]) chmodSync(join(staging, file), 0o444);
    chmodSync(staging, 0o555);
    const channel = prepareChannel(nameDir, input.channel, staged, sums, input.now?.() ?? new Date());
    pending = channel.pending;
    await pausePoint('publish:staged');
    input.report?.step(`publish ${manifest.name} ${manifest.version}`);
    refuseExisting(versionDir, manifest);
    try {
      renameSync(staging, versionDir);
    } catch (error) {
      // another publish of the same version won the race: theirs stands
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') refuseExisting(versionDir, manifest);
      throw error;
    }
    await pausePoint('publish:placed');
    renameSync(channel.pending, channel.channelFile);
    pending = undefined;
    return {
      versionDir,
      files: [...listed, SHA256SUMS].sort(),
      channelFile: channel.channelFile,
      ...(channel.previous ? { previousChannelVersion: channel.previous } : {}),
      ...(bundle ? { bundle: join(versionDir, bundle) } : {}),
    };
  } finally {
    // a pending pointer whose version never appeared must not be taken for an interrupted publish
    if (pending && !existsSync(versionDir)) rmSync(pending, { force: true });
    removeTree(staging);
    forget();
  }
}

function refuseExisting(versionDir: string, manifest: Manifest): void {
  if (existsSync(versionDir)) {
    throw new UserError(
      `${manifest.name} ${manifest.version} is already published at ${versionDir}; published versions are never overwritten`,
      'bump `version` in the configuration and rebuild, or publish to another --to directory',
    );
  }
}

function pendingFile(nameDir: string, channel: string): string {
  return join(nameDir, CHANNELS_DIR, `.${channel}.json.pending`);
}

/** Writes the channel's next pointer beside it; publishing renames it over the channel once the version is in place. */
function prepareChannel(nameDir: string, channel: string, manifest: Manifest, sums: { path: string; sha256: string }[], now: Date) {
  const channelFile = join(nameDir, CHANNELS_DIR, `${channel}.json`);
  const previous = readPreviousVersion(channelFile);
  const sha = (path: string) => sums.find((s) => s.path === path)!.sha256;
  const disk = manifest.artifacts.find((a) => a.role === 'disk')!.path;
  const rel = (file: string) => `../${manifest.version}/${file}`;
  const pointer: ChannelPointer = channelSchema.parse({
    channelVersion: 1,
    name: manifest.name,
    channel,
    version: manifest.version,
    buildId: manifest.buildId,
    manifest: rel(MANIFEST_FILE),
    manifestSha256: sha(MANIFEST_FILE),
    disk: rel(disk),
    diskSha256: sha(disk),
    published: now.toISOString(),
  });
  const pending = pendingFile(nameDir, channel);
  writeFileAtomic(pending, `${JSON.stringify(pointer, null, 2)}\n`);
  return { channelFile, pending, previous };
}

/**
 * A run killed between placing a version and moving its channel left channels/.<c>.json.pending:
 * with the version in place the move is finished, without it the pointer is dropped. Runs under the lock.
 */
function finishInterrupted(nameDir: string, note: (text: string) => void) {
  const dir = join(nameDir, CHANNELS_DIR);
  const finished: { channel: string; channelFile: string; pointer: ChannelPointer; previous?: string }[] = [];
  if (!existsSync(dir)) return finished;
  for (const name of readdirSync(dir)) {
    const m = /^\.(.+)\.json\.pending$/.exec(name);
    if (!m) continue;
    const channel = m[1]!;
    const pending = join(dir, name);
    let pointer: ChannelPointer | undefined;
    try {
      pointer = channelSchema.parse(JSON.parse(readFileSync(pending, 'utf8')));
    } catch {
      pointer = undefined;
    }
    if (pointer && existsSync(join(nameDir, pointer.version, MANIFEST_FILE))) {
      const channelFile = join(dir, `${channel}.json`);
      const previous = readPreviousVersion(channelFile);
      renameSync(pending, channelFile);
      note(`finished an interrupted publish: channel ${channel} now points at ${pointer.version}${previous ? ` (was ${previous})` : ''}`);
      finished.push({ channel, channelFile, pointer, ...(previous ? { previous } : {}) });
    } else {
      rmSync(pending, { force: true });
      note(`dropped ${pending}: the interrupted publish it belonged to never placed ${pointer?.version ?? 'its version'}`);
    }
  }
  return finished;
}

function readPreviousVersion(channelFile: string): string | undefined {
  if (!existsSync(channelFile)) return undefined;
  try {
    return channelSchema.parse(JSON.parse(readFileSync(channelFile, 'utf8'))).version;
  } catch {
    return undefined;
  }
}
