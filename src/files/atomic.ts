import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../host/process.js';

/**
 * Nothing vvehicle writes may be seen half-written: files and directories are made under a temp
 * name in the same directory (same filesystem, so rename is atomic) and renamed into place.
 */
export function tempSibling(target: string, kind: string): string {
  return join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

// oci: the OCI layout publish --to oci:// packs beside the published dir
const TEMP_NAME = /^\.(.+)\.(staging|tmp|old|oci)-(\d+)-[0-9a-f]{8}$/;

/**
 * A killed run (SIGKILL, power loss) leaves its temp names behind; the next run writing into `dir`
 * removes those whose process is gone. An `old` one is a complete previous output that was moved aside
 * just before the kill: when its target is missing it is put back instead. Returns one note per entry.
 */
export function sweepLeftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const notes: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = TEMP_NAME.exec(name);
    if (!m || processAlive(Number(m[3]))) continue;
    const [, target, kind, pid] = m;
    const path = join(dir, name);
    if (kind === 'old' && !existsSync(join(dir, target!))) {
      renameSync(path, join(dir, target!));
      notes.push(`restored ${join(dir, target!)}, moved aside by an interrupted run (pid ${pid}) before its replacement was in place`);
      continue;
    }
    removeTree(path);
    notes.push(`removed ${path}, left by an interrupted run (pid ${pid})`);
  }
  return notes;
}

export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempSibling(path, 'tmp');
  try {
    writeFileSync(temp, content, { mode });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    // a failed write(2) carries no path; a full disk is reported at the file it was for
    (error as NodeJS.ErrnoException).path ??= path;
    throw error;
  }
}

/** Removes a tree even where we made it read-only (published versions are 0555/0444). */
export function removeTree(path: string): void {
  if (!existsSync(path)) return;
  makeWritable(path);
  rmSync(path, { recursive: true, force: true });
}

function makeWritable(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) makeWritable(join(path, name));
  }
}
