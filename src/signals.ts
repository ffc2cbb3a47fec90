import { Interrupted } from './errors.js';

/**
 * One AbortController for the whole run: SIGINT/SIGTERM (or output nobody reads any more) abort it, and every wrapper that starts a
 * process (container, QEMU) passes its signal on and registers a cleanup that stops what it started.
 */
const controller = new AbortController();
const cleanups = new Set<() => Promise<void> | void>();

export const runSignal: AbortSignal = controller.signal;

export function onCleanup(fn: () => Promise<void> | void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map(async (fn) => fn()));
}

export function installSignalHandlers(): void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    controller.abort(new Interrupted(signal));
  };
  // `on`, not `once`: execa's signal-exit re-raises a signal when it sees no other listener left, which
  // would kill us before the cleanups run (it did, during `qemu-img convert`); repeats are ignored above
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  // The reader of our output went away (`vvehicle smoke | head`): the next write fails with EPIPE, which,
  // unheard, killed us at once and left QEMU running on its own. A broken output ends the run like Ctrl-C:
  // what we started is stopped, and later writes to the broken stream are ignored.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => handler('SIGPIPE'));
}
