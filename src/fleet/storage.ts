import { chmodSync, constants, mkdirSync, renameSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempSibling } from '../image/atomic.js';
import { createOverlay } from '../tools/qemu-img.js';

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
  onDisk?: (done: number, total: number) => void;
  /** How many copies run at once. */
  parallel?: number;
}

export async function makeDisks(base: string, disks: readonly string[], storage: Storage, options: StorageOptions = {}): Promise<void> {
  if (!disks.length) return;
  for (const dir of new Set(disks.map((d) => dirname(d)))) mkdirSync(dir, { recursive: true });
  if (storage === 'copy') {
    await eachLimited(disks, options.parallel ?? 4, async (disk, done) => {
      await copyInto(base, disk, options.signal);
      options.onDisk?.(done(), disks.length);
    });
    return;
  }
  const template = tempSibling(join(dirname(disks[0]!), 'overlay.qcow2'), 'template');
  try {
    await createOverlay(base, template, { signal: options.signal, logFile: options.logFile });
    await eachLimited(disks, options.parallel ?? 16, async (disk, done) => {
      await copyInto(template, disk, options.signal);
      options.onDisk?.(done(), disks.length);
    });
  } finally {
    rmSync(template, { force: true });
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
