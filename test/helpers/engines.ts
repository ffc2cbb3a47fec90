import type { Config } from '../../src/config/schema.js';
import { engineOf, type Engine, type EngineName } from '../../src/tools/engine.js';
import { ensureDockerDaemon } from './docker-daemon.js';
import { ensureContainersConf } from './stub-builder.js';

/** The engines every container test runs against, for real. */
export const ENGINES: readonly EngineName[] = ['podman', 'docker'];

/** podman here needs runc (crun fails on hybrid cgroups) and no default ulimits (CONTAINERS_CONF). */
export const TEST_PODMAN: Engine = engineOf('podman', ['--runtime', 'runc']);

/** A running engine: podman as installed, docker as our own dockerd (started when needed). */
export async function testEngine(name: EngineName): Promise<Engine> {
  if (name === 'docker') return ensureDockerDaemon();
  ensureContainersConf();
  return TEST_PODMAN;
}

/** The CLI flags that pick this engine. */
export function engineFlags(engine: Engine): string[] {
  return [
    '--engine', engine.name,
    ...(engine.program !== engine.name ? ['--engine-client', engine.program] : []),
    ...engine.globalArgs.map((a) => `--engine-arg=${a}`),
  ];
}

/** The same, as build.* config keys. */
export function useEngine(config: Config, engine: Engine): void {
  config.build.engine = engine.name;
  config.build.engineArgs = [...engine.globalArgs];
  if (engine.program !== engine.name) config.build.engineClient = engine.program;
}
