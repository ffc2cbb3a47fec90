import type { PipelineState } from '../pipeline/stages/types.js';
import { bitbakeLogFile } from '../bitbake/bitbake-run.js';
import { cacheNetwork } from './cache-access.js';
import { prepareMounts, type ContainerSetup } from './container.js';
import { hostMounts, passedVariables } from './host-environment.js';

/** The container setup for bitbake stages, from what earlier stages produced. */
export function containerSetupFor(state: PipelineState): ContainerSetup {
  if (!state.engine || !state.builder) throw new Error('bitbake needs the builder stage (or a builder.json from an earlier run)');
  const build = state.context.loaded.config.build;
  const setup: ContainerSetup = {
    engine: state.engine,
    image: state.builder.image,
    plan: state.context.plan,
    workDir: state.context.workDir,
    kvm: build.kvm,
    passEnv: passedVariables(state.context.loaded.config, process.env),
    hostMounts: hostMounts(state.context.loaded.config, state.context.plan, state.context.workDir, process.env),
    widenNetwork: (wanted) => cacheNetwork(build, wanted),
  };
  prepareMounts(setup);
  state.bitbakeLog ??= bitbakeLogFile(setup);
  return setup;
}
