import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followConsoleFile } from '../../src/smoke/console-file.js';
import { tempDir } from '../helpers/tmp.js';

describe('following the console file QEMU writes', () => {
  it('hands on what was appended since the last read, a character split across writes kept whole', async () => {
    const file = join(tempDir(), 'console.log');
    writeFileSync(file, '');
    const seen: string[] = [];
    const follower = followConsoleFile(file, (t) => seen.push(t), 5);
    try {
      appendFileSync(file, 'Booting Linux\n');
      follower.drain();
      expect(seen.join('')).toBe('Booting Linux\n');
      const euro = Buffer.from('€'); // 3 bytes: the first read ends inside it
      appendFileSync(file, Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]));
      follower.drain();
      appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('\nlogin: ')]));
      // the timer reads without being asked
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.join('')).toBe('Booting Linux\nprice €\nlogin: ');
    } finally {
      follower.stop();
    }
    appendFileSync(file, 'after stop\n');
    follower.drain();
    expect(seen.join('')).not.toContain('after stop');
  });
});
