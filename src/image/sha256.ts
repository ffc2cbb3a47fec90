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
  try {
    await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), tap, createWriteStream(dest), { signal });
  } catch (error) {
    // a write stream's errors (ENOSPC, EDQUOT, EIO) carry no path: name the file we were writing, so a full disk
    // is reported where it happened and not as "(unknown path)" with the free space of another file system
    const errno = error as NodeJS.ErrnoException;
    if (errno && typeof errno === 'object' && errno.code && errno.syscall === 'write' && !errno.path) errno.path = dest;
    throw error;
  }
  return { sha256: hash.digest('hex'), bytes };
}
