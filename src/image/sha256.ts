import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * sha256 of a file, read as a stream (images are gigabytes: never read them whole).
 * `onBytes` gets the running byte count for progress.
 */
export async function sha256File(path: string, onBytes?: (done: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  // 1 MiB reads: far fewer callbacks than the 64 KiB default on multi-GB files
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    onBytes?.(done);
  }
  return hash.digest('hex');
}
