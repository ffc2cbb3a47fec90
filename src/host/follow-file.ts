import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface FileFollower {
  /** Hands over everything written so far (call it once the writer has exited). */
  drain(): void;
  stop(): void;
}

/**
 * Follows a file another process appends to (QEMU's serial console): every `intervalMs`, what was
 * added since is handed to onText, decoded as UTF-8. A poll, not a pipe: QEMU writes the console a
 * byte at a time, and a pipe woke us for each byte (thousands of callbacks a boot, on the CPU the
 * emulated guest needs); a poll takes whatever arrived in one read.
 */
export function followFile(path: string, onText: (text: string) => void, intervalMs: number): FileFollower {
  const fd = openSync(path, 'r');
  let offset = fstatSync(fd).size;
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(64 * 1024);
  let stopped = false;
  const drain = () => {
    if (stopped) return;
    for (let n = readSync(fd, buffer, 0, buffer.length, offset); n > 0; n = readSync(fd, buffer, 0, buffer.length, offset)) {
      offset += n;
      const text = decoder.write(buffer.subarray(0, n));
      if (text) onText(text);
    }
  };
  const timer = setInterval(drain, intervalMs);
  return {
    drain,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      closeSync(fd);
    },
  };
}
