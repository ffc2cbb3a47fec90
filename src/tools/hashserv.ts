import { join } from 'node:path';

/**
 * poky's hash-equivalence server, `bitbake/bin/bitbake-hashserv`, run from the pinned poky checkout
 * (never a copy of our own: the server must speak the protocol of the bitbake that uses it).
 * Pure argv; the container engine wrapper runs it.
 */
export interface HashservOptions {
  /** The pinned poky checkout (absolute). */
  pokyDir: string;
  /** host:port, bound as given (raw TCP, what BB_HASHSERVE = "host:port" connects to). */
  bind: string;
  /** sqlite database file (absolute); created on first start, kept across restarts. */
  database: string;
  /** CI consumers: answer queries, refuse reports. */
  readOnly: boolean;
  /** host:port (or ws://…) of a server to pull hashes from when this one has none. */
  upstream?: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
}

export function hashservPath(pokyDir: string): string {
  return join(pokyDir, 'bitbake', 'bin', 'bitbake-hashserv');
}

export function hashservArgv(o: HashservOptions): string[] {
  return [
    hashservPath(o.pokyDir),
    '--bind', o.bind,
    '--database', o.database,
    '--log', o.logLevel,
    ...(o.readOnly ? ['--read-only'] : []),
    ...(o.upstream ? ['--upstream', o.upstream] : []),
  ];
}
