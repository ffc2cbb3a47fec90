import type { PipelineState } from '../stages/types.js';
import { bitbakeLogFile } from './bitbake-run.js';
import { cacheNetwork, mirrorMounts } from './cache-access.js';
import { prepareMounts, type ContainerSetup } from './container.js';

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
    passEnv: build.env,
    mirrorMounts: mirrorMounts(build),
    widenNetwork: (wanted) => cacheNetwork(build, wanted),
  };
  prepareMounts(setup);
  state.bitbakeLog ??= bitbakeLogFile(setup);
  return setup;
}
