import type { Config } from '../config/schema.js';
import { isLoopbackHost } from '../host/address.js';
import type { RunSpec } from './container-argv.js';

/**
 * What the build container needs to reach the shared caches the config names. bitbake talks to a
 * host:port hash server (or a local server's upstream) already while parsing, so even the otherwise
 * offline `check` must reach it: through the host's network when the server is on the loopback address
 * (a `vvehicle cache serve` on this machine), the engine's default network otherwise.
 */
export function hashServers(build: Config['build']): string[] {
  const servers: string[] = [];
  if (build.hashEquivalence !== 'auto' && build.hashEquivalence !== 'off') servers.push(build.hashEquivalence);
  if (build.hashEquivalence === 'auto' && build.hashEquivalenceUpstream) servers.push(build.hashEquivalenceUpstream);
  return servers;
}

/** The network a bitbake container gets: `wanted`, widened just enough to reach the hash servers. */
export function cacheNetwork(build: Config['build'], wanted: RunSpec['network']): RunSpec['network'] {
  const servers = hashServers(build);
  if (!servers.length || wanted === 'host') return wanted;
  if (servers.some(isLoopbackHost)) return 'host';
  return 'default';
}
