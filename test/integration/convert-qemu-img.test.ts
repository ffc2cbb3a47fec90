import { execFileSync } from 'node:child_process';
import { openSync, readSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors.js';
import { checkImage, convertArgs, convertToQcow2, createOverlay, imageInfo, measureQcow2, parseProgress } from '../../src/tools/qemu-img.js';
import { qcow2UpperBound } from '../../src/image/convert.js';
import { copyWithSha256, sha256File } from '../../src/image/sha256.js';
import { readFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';

const qcow2 = { compat: '1.1' as const, clusterSize: 65536, compress: false };

/** Zeroes the first refcount block, as a torn write would: every cluster now has refcount 0. */
function corruptRefcounts(path: string): void {
  const fd = openSync(path, 'r+');
  const header = Buffer.alloc(104);
  readSync(fd, header, 0, 104, 0);
  const clusterSize = 1 << header.readUInt32BE(20);
  const table = Number(header.readBigUInt64BE(48));
  const entry = Buffer.alloc(8);
  readSync(fd, entry, 0, 8, table);
  writeSync(fd, Buffer.alloc(clusterSize), 0, clusterSize, Number(entry.readBigUInt64BE(0)));
  closeSync(fd);
}

describe('the qemu-img wrapper (real qemu-img)', () => {
  it('builds the convert argv with the format stated and compression only when asked', () => {
    expect(convertArgs('/d/root.ext4', '/o/x.qcow2', qcow2, false)).toEqual(['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=1.1,cluster_size=65536', '/d/root.ext4', '/o/x.qcow2']);
    expect(convertArgs('a', 'b', { ...qcow2, compress: true }, true)).toEqual(['convert', '-p', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=1.1,cluster_size=65536', '-c', 'a', 'b']);
  });

  it('the space bound convert uses instead of `qemu-img measure` is never below what measure says a fully allocated qcow2 takes', async () => {
    const dir = tempDir();
    for (const [bytes, clusterSize] of [[1, 65536], [8 * 2 ** 20, 65536], [3 * 2 ** 30 + 12345, 65536], [2 ** 30, 4096], [5 * 2 ** 30 + 1, 2 * 2 ** 20]] as const) {
      const raw = join(dir, `sparse-${bytes}.raw`);
      execFileSync('truncate', ['-s', String(bytes), raw]);
      const measured = await measureQcow2(raw, { ...qcow2, clusterSize });
      expect(qcow2UpperBound(bytes, clusterSize)).toBeGreaterThanOrEqual(measured.fullyAllocated);
    }
  });

  it('copies a file and hashes it in one read: the same bytes and the same sha256 as hashing the copy', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'Image'), randomBytes((3 << 20) + 17));
    const copied = await copyWithSha256(join(dir, 'Image'), join(dir, 'Image.copy'));
    expect(readFileSync(join(dir, 'Image.copy')).equals(readFileSync(join(dir, 'Image')))).toBe(true);
    expect(copied).toEqual({ sha256: await sha256File(join(dir, 'Image')), bytes: (3 << 20) + 17 });
  });

  it('reads the last percentage of a -p redraw chunk', () => {
    expect(parseProgress('    (0.00/100%)\r    (12.50/100%)\r')).toBe(12.5);
    expect(parseProgress('no progress here')).toBeUndefined();
  });

  it('converts with progress, and check passes on the result', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'disk.raw'), randomBytes(8 << 20));
    const seen: number[] = [];
    await convertToQcow2(join(dir, 'disk.raw'), join(dir, 'disk.qcow2'), qcow2, { onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toBe(100);
    expect((await checkImage(join(dir, 'disk.qcow2')))['check-errors']).toBe(0);
    expect(await imageInfo(join(dir, 'disk.qcow2'))).toMatchObject({ format: 'qcow2', virtualSize: 8 << 20, clusterSize: 65536, compat: '1.1' });
  });

  it('check fails with a ToolError carrying qemu-img\'s exit code on a corrupted qcow2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'disk.raw'), randomBytes(4 << 20));
    await convertToQcow2(join(dir, 'disk.raw'), join(dir, 'disk.qcow2'), qcow2);
    corruptRefcounts(join(dir, 'disk.qcow2'));
    const error = await checkImage(join(dir, 'disk.qcow2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).exitCode).toBe(2);
    expect((error as ToolError).message).toContain('qemu-img check found problems');
    expect((error as ToolError).tail.split('\n').length).toBeLessThanOrEqual(40);
  });

  it('an overlay records its backing file by absolute path and its backing format', async () => {
    const dir = tempDir();
    const base = join(dir, 'base.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    await createOverlay(base, join(dir, 'vm.qcow2'));
    expect(await imageInfo(join(dir, 'vm.qcow2'))).toMatchObject({ format: 'qcow2', virtualSize: 64 << 20, backingFile: base, backingFormat: 'qcow2' });
    await expect(createOverlay('base.qcow2', join(dir, 'vm2.qcow2'))).rejects.toThrow('absolute base path');
  });
});
