import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

/** Copies `source` to `dest` and hashes the bytes on the way: the source is read once, never the copy again. */
export async function copyWithSha256(source: string, dest: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), tap, createWriteStream(dest), { signal });
  return { sha256: hash.digest('hex'), bytes };
}
