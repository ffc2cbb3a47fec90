import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { timestamp } from '../bitbake/bitbake-run.js';
import { buildPaths } from '../bitbake/configure.js';
import { runStages } from '../pipeline/pipeline.js';
import { preflight, pipelineState, withWorkDirLock, type RunOptions } from '../pipeline/run-options.js';
import { serveHashEquivalence } from '../cache/serve.js';
import { UserError } from '../errors.js';
import { builderStage } from '../pipeline/stages/builder.js';
import { sourcesStage } from '../pipeline/stages/sources.js';
import type { HashservOptions } from '../tools/hashserv.js';
import { openContext } from '../context.js';

export interface CacheServeOptions extends RunOptions {
  bind?: string;
  database?: string;
  readOnly?: boolean;
  upstream?: string;
  logLevel?: string;
  readyTimeout?: string;
}

/** bitbake's conventional hash-equivalence port; loopback unless the user opens it to the build farm. */
export const DEFAULT_HASHSERV_BIND = '127.0.0.1:8686';
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
const UPSTREAM = /^(?:wss?:\/\/)?(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * `vvehicle cache serve`: poky's own hash-equivalence server, from the pinned poky, in the builder
 * container, with its database on the host. Runs until Ctrl-C / SIGTERM (exit 130, container removed).
 * `print` gets the ready line as soon as the server accepts connections; its log goes to stderr.
 */
export async function cacheServeCommand(options: CacheServeOptions, print: (text: string) => void): Promise<void> {
  const context = openContext(options);
  const bind = options.bind ?? DEFAULT_HASHSERV_BIND;
  if (!/^(?:\[[0-9a-fA-F:.]*\]|[A-Za-z0-9.-]*):\d{1,5}$/.test(bind)) throw new UserError(`--bind ${bind}: expected host:port, e.g. 127.0.0.1:8686 (or :8686 for every address)`);
  if (options.upstream && !UPSTREAM.test(options.upstream)) throw new UserError(`--upstream ${options.upstream}: expected host:port (or ws://host:port) of another hash equivalence server`);
  if (options.readOnly && options.upstream) {
    // bitbake-hashserv itself refuses it ("Read-only hashserv cannot pull from an upstream server")
    throw new UserError(
      '--read-only and --upstream cannot go together: a read-only server cannot pull (and store) hashes from an upstream',
      'serve the writing server\'s own database read-only instead (--read-only --database <its hashserv.db>; sqlite WAL lets both run), or drop --read-only',
    );
  }
  const logLevel = (options.logLevel ?? 'INFO').toUpperCase() as HashservOptions['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new UserError(`--log-level ${options.logLevel}: one of ${LOG_LEVELS.join(', ')}`);
  const readyTimeoutSec = Number(options.readyTimeout ?? 60);
  if (!Number.isInteger(readyTimeoutSec) || readyTimeoutSec < 1) throw new UserError(`--ready-timeout ${options.readyTimeout}: whole seconds, at least 1`);
  const database = resolve(context.cwd, options.database ?? join(context.workDir, 'hashserv', 'hashserv.db'));

  const state = pipelineState(context, options);
  // the checkout and the builder image are shared with builds of this work dir: made under its lock,
  // which is released before serving (a server runs for days, builds beside it)
  await withWorkDirLock(state, async () => {
    await preflight(state, options, { engine: true, minFreeGiB: 1 });
    await runStages(state, [sourcesStage, builderStage]);
  });
  const logs = buildPaths(context.plan, context.workDir).logs;
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, `hashserv-${timestamp()}.log`);
  await serveHashEquivalence({
    engine: state.engine!,
    image: state.builder!.image,
    plan: context.plan,
    workDir: context.workDir,
    bind,
    database,
    readOnly: options.readOnly ?? false,
    upstream: options.upstream,
    logLevel,
    readyTimeoutSec,
    logFile,
    signal: state.signal,
    onLine: (line) => process.stderr.write(`${line}\n`),
    onReady: ({ container }) =>
      print(
        [
          `hash equivalence server ready on ${bind}${options.readOnly ? ' (read-only)' : ''}${options.upstream ? `, upstream ${options.upstream}` : ''}`,
          `  database   ${database}`,
          `  container  ${container}`,
          `  log        ${logFile}`,
          `  builds use it with build.hashEquivalence: ${bind.startsWith(':') ? `<this host>${bind}` : bind}`,
          '  stop it with Ctrl-C (or SIGTERM)',
        ].join('\n'),
      ),
  });
}
