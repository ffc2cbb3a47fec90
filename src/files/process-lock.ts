import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { processAlive, startTimeOf } from '../host/process.js';
import { tempSibling } from './atomic.js';

/**
 * One run at a time per work dir (or per published image name): a lock file holding the holder's
 * pid, host and process start time. A lock whose process is gone (SIGKILL, power loss) is taken
 * over by the next run. Written by hand rather than with proper-lockfile: that library judges
 * staleness by an mtime it refreshes on a timer, where a dead pid is the exact, immediate signal.
 */
interface Holder {
  pid: number;
  host: string;
  /** /proc/<pid>/stat start time: a reused pid is not the holder. */
  started: string | null;
  command: string;
  since: string;
}

function holderAlive(h: Holder): boolean {
  if (h.host !== hostname()) return true; // another machine's run: we cannot tell, so it stands
  if (!processAlive(h.pid)) return false;
  return h.started === null || startTimeOf(h.pid) === null || startTimeOf(h.pid) === h.started;
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

export interface HeldLock {
  release(): void;
  /** Set when a lock left by a dead run was taken over. */
  recovered?: string;
}

/**
 * Takes the lock at `file` or throws a UserError naming the run holding it. `what` names the guarded
 * thing in messages ("work directory /w", "publishing vvehicle-gateway").
 */
export function acquireLock(file: string, what: string): HeldLock {
  const me: Holder = { pid: process.pid, host: hostname(), started: startTimeOf(process.pid), command: process.argv.slice(2).join(' '), since: new Date().toISOString() };
  // the content is complete before the lock appears: link(2) of a written temp file is an atomic create
  mkdirSync(dirname(file), { recursive: true });
  const temp = tempSibling(file, 'tmp');
  try {
    writeFileSync(temp, `${JSON.stringify(me)}\n`);
  } catch (error) {
    rmSync(temp, { force: true });
    (error as NodeJS.ErrnoException).path ??= file; // a failed write(2) names no file: a full disk is reported here
    throw error;
  }
  let recovered: string | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, file);
        return { release: () => releaseIfMine(file, me), ...(recovered ? { recovered } : {}) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (attempt > 100) throw new UserError(`cannot take the lock ${file}: other runs keep replacing it`, 'rerun once they are done');
      }
      const holder = readHolder(file);
      if (holder && holderAlive(holder)) {
        throw new UserError(
          `${what} is in use by another vvehicle run (pid ${holder.pid} on ${holder.host}, since ${holder.since}: vvehicle ${holder.command})`,
          `wait for it to finish, or stop it; the lock is ${file} and is taken over by the next run once that process is gone`,
        );
      }
      // dead holder (or an unreadable file, which only a crash between write and link could leave)
      if (!breakStale(file, holder)) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // another run is breaking it: a moment
        continue;
      }
      recovered = `took over the lock ${file} left by a run that is gone (pid ${holder?.pid ?? 'unknown'})`;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Removes a stale lock, unless another run replaced it meanwhile: the check and the removal happen
 * under a short-lived second lock, so two runs recovering at once cannot remove each other's fresh lock.
 */
function breakStale(file: string, seen: Holder | undefined): boolean {
  const breaker = `${file}.break`;
  try {
    writeFileSync(breaker, String(process.pid), { flag: 'wx' });
  } catch {
    // someone else is breaking it; a breaker older than a minute was left by a crash
    const age = Date.now() - (statSync(breaker, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 60_000) rmSync(breaker, { force: true });
    return false;
  }
  try {
    const now = readHolder(file);
    if (JSON.stringify(now) !== JSON.stringify(seen)) return false;
    rmSync(file, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

function releaseIfMine(file: string, me: Holder): void {
  const holder = readHolder(file);
  if (holder?.pid === me.pid && holder.host === me.host) rmSync(file, { force: true });
}
