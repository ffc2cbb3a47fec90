import { chmodSync, constants, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DiskSpaceError } from '../faults.js';
import { tempSibling } from '../files/atomic.js';
import { createOverlay, measureEmptyQcow2 } from '../tools/qemu-img.js';

/**
 * Per-vehicle disks. `overlay`: a qcow2 overlay on the published base (`-F qcow2`). Overlays of one
 * base made with the same options are byte-identical (the header names the backing file and size,
 * nothing per-vehicle), so qemu-img makes ONE and the rest are copies of it: 100 overlays cost one
 * qemu-img start instead of 100. `copy`: a full copy of the base per vehicle (reflink where the
 * filesystem allows, a plain copy elsewhere), to compare against shared-backing-file contention.
 * The base is only ever read.
 */
export type Storage = 'overlay' | 'copy';

export interface DiskJob {
  disk: string;
}

export interface StorageOptions {
  signal?: AbortSignal;
  logFile?: string;
  /** Called after each disk is made. */
  onDisk?: (done: number, total: number, disk: string) => void;
  /** How many copies run at once. */
  parallel?: number;
}

export async function makeDisks(base: string, disks: readonly string[], storage: Storage, options: StorageOptions = {}): Promise<void> {
  if (!disks.length) return;
  for (const dir of new Set(disks.map((d) => dirname(d)))) mkdirSync(dir, { recursive: true });
  if (storage === 'copy') {
    await copyAll(base, disks, options.parallel ?? 4, options);
    return;
  }
  const template = tempSibling(join(dirname(disks[0]!), 'overlay.qcow2'), 'template');
  try {
    await createOverlay(base, template, { signal: options.signal, logFile: options.logFile });
    await copyAll(template, disks, options.parallel ?? 16, options);
  } finally {
    rmSync(template, { force: true });
  }
}

/** A vehicle's small files (domain XML, credential files, their directories): generous, tmpfs counts whole pages. */
const FILES_PER_VEHICLE = 64 * 1024;

/**
 * The bytes `count` vehicles' disks and files take, known before any is written: an overlay is an empty
 * qcow2 of the base's virtual size (`qemu-img measure`, an upper bound), plus the one template it is copied
 * from; a copy is as large as the base's allocated blocks (a reflink would take less, which cannot be known
 * up front, so it is checked as a full copy).
 */
export async function spaceNeeded(base: string, virtualSize: number, count: number, storage: Storage, options: { signal?: AbortSignal } = {}): Promise<number> {
  const perDisk = storage === 'overlay' ? await measureEmptyQcow2(virtualSize, options) : statSync(base).blocks * 512;
  return (count + (storage === 'overlay' ? 1 : 0)) * perDisk + count * FILES_PER_VEHICLE;
}

/**
 * Copies `source` to every disk, several at once. A full disk is reported with what the disks not yet made need:
 * copies run in parallel, so one disk's size understates it (after the failed copies are removed, the free space
 * could exceed a single disk and the message would not say why it failed).
 */
async function copyAll(source: string, disks: readonly string[], limit: number, options: StorageOptions): Promise<void> {
  let made = 0;
  try {
    await eachLimited(disks, limit, async (disk, done) => {
      await copyInto(source, disk, options.signal);
      made = done();
      options.onDisk?.(made, disks.length, disk);
    });
  } catch (error) {
    if (error instanceof DiskSpaceError && error.code !== 'EROFS') {
      throw new DiskSpaceError(error.code, error.path, (disks.length - made) * statSync(source).blocks * 512);
    }
    throw error;
  }
}

/** Copy to a temp name, then rename: a disk path either holds a whole disk or nothing. */
async function copyInto(source: string, disk: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const temp = tempSibling(disk, 'tmp');
  try {
    await copyFile(source, temp, constants.COPYFILE_FICLONE);
    chmodSync(temp, 0o644); // a copy of the read-only published base must be writable by its vehicle
    renameSync(temp, disk);
  } catch (error) {
    rmSync(temp, { force: true });
    // a full disk is reported at the disk it was making (the temp name means nothing to the user)
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new DiskSpaceError(code, disk, statSync(source).blocks * 512);
    throw error;
  }
}

/** Runs fn over items with at most `limit` at once; `done()` counts completions. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, done: () => number) => Promise<void>): Promise<void> {
  let next = 0;
  let completed = 0;
  const done = () => ++completed;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && !errors.length) {
      const item = items[next++]!;
      try {
        await fn(item, done);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}
