import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followFile } from '../../src/host/follow-file.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

describe('followFile', () => {
  it('hands over what is appended after it started, in order, a character split across writes whole', async () => {
    const file = join(tempDir(), 'console.log');
    writeFileSync(file, 'before\n');
    let text = '';
    const follower = followFile(file, (t) => (text += t), 5);
    try {
      appendFileSync(file, 'Booting Linux\n');
      await waitFor('the first line', () => (text.includes('Linux\n') ? true : undefined), 5000, 5);
      const euro = Buffer.from('€'); // three bytes: the follower must not decode them apart
      appendFileSync(file, Buffer.concat([Buffer.from('login: '), euro.subarray(0, 1)]));
      await new Promise((r) => setTimeout(r, 30));
      appendFileSync(file, euro.subarray(1));
      follower.drain();
      expect(text).toBe('Booting Linux\nlogin: €');
    } finally {
      follower.stop();
    }
    appendFileSync(file, 'after stop\n');
    follower.drain();
    expect(text).not.toContain('after stop');
  });
});
