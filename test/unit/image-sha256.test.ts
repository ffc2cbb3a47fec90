import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyWithSha256 } from '../../src/image/sha256.js';
import { machineFault } from '../../src/faults.js';
import { tempDir } from '../helpers/tmp.js';

describe('copyWithSha256', () => {
  it('copies and hashes in one read', async () => {
    const dir = tempDir();
    const data = Buffer.alloc(3 << 20, 7);
    writeFileSync(join(dir, 'a'), data);
    const r = await copyWithSha256(join(dir, 'a'), join(dir, 'b'));
    expect(r).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
    expect(readFileSync(join(dir, 'b')).equals(data)).toBe(true);
  });

  // /dev/full answers every write with ENOSPC: a real full device. A write stream's error carries no path of its
  // own; without one the fault was reported as "writing (unknown path)" with the free space of another disk.
  it('a full disk names the file being written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'), Buffer.alloc(1 << 20, 1));
    const error = await copyWithSha256(join(dir, 'a'), '/dev/full').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOSPC', path: '/dev/full' });
    expect(machineFault(error)?.message).toMatch(/^no space left on device writing \/dev\/full/);
  });
});
