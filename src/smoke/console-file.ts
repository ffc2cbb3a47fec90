import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** How often the console file is read: the verdict waits at most this long for a line the guest printed. */
export const CONSOLE_POLL_MS = 20;

export interface ConsoleFollower {
  /** Reads whatever the guest wrote since the last read, handing it on (also used before a verdict on exit). */
  drain(): void;
  stop(): void;
}

/**
 * Follows the serial console that QEMU writes to a file itself (chardev file, append). Why not a pipe:
 * the emulated UART hands QEMU one byte at a time and QEMU writes each one at once, so a pipe woke us
 * thousands of times per boot, and on a 2-core host every wake-up was CPU taken from the guest's vCPUs;
 * reading the file every CONSOLE_POLL_MS costs a few reads per second, and QEMU keeps the log itself.
 */
export function followConsoleFile(path: string, onText: (text: string) => void, intervalMs = CONSOLE_POLL_MS): ConsoleFollower {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(64 * 1024);
  const decoder = new StringDecoder('utf8'); // a character split between two reads stays whole
  let offset = 0;
  let open = true;
  const drain = () => {
    while (open) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n <= 0) return;
      offset += n;
      onText(decoder.write(buffer.subarray(0, n)));
    }
  };
  const timer = setInterval(drain, intervalMs);
  return {
    drain,
    stop: () => {
      if (!open) return;
      open = false;
      clearInterval(timer);
      closeSync(fd);
    },
  };
}
