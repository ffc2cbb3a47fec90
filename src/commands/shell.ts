import { bitbakeLogFile } from '../bitbake/bitbake-run.js';
import { containerSetupFor } from '../container/container-setup.js';
import { runAttachedInContainer } from '../container/container.js';
import { runStages } from '../pipeline/pipeline.js';
import { preflight, pipelineState, withWorkDirLock, type RunOptions } from '../pipeline/run-options.js';
import { readStageRecord } from '../pipeline/stage-state.js';
import { openContext } from '../context.js';
import { UserError } from '../errors.js';
import { PIPELINE } from '../pipeline/stages/index.js';

/** The stages a shell needs: sources checked out, the build dir configured, the builder image made. */
const SETUP_STAGES = ['layer', 'sources', 'configure', 'builder'];

/**
 * `vvehicle shell [-- CMD…]` (and `vvehicle bitbake ARGS…` = `shell -- bitbake ARGS…`): the builder container on
 * this terminal with the build environment sourced, like `kas shell`: bitbake -e, devshell, devtool,
 * populate_sdk without writing a podman command. The setup stages run first (skipped when unchanged).
 * Resolves to the command's exit code.
 */
export async function shellCommand(options: RunOptions, command: readonly string[]): Promise<number> {
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!tty && command.length === 0) {
    throw new UserError('vvehicle shell without a command needs a terminal (stdin and stdout are not one)', 'give the command to run: vvehicle shell -- bitbake -e vvehicle-image');
  }
  const context = openContext(options);
  const stages = PIPELINE.filter((s) => SETUP_STAGES.includes(s.id));
  const state = pipelineState(context, options);
  // the work dir lock covers the setup stages (as for build); the shell itself may run beside a build, as kas shell does
  await withWorkDirLock(state, async () => {
    await preflight(state, options, { engine: true, minFreeGiB: 1, probe: stages.some((s) => s.needsEngine && !readStageRecord(context.workDir, s.id)) });
    await runStages(state, stages);
  });
  const setup = containerSetupFor(state);
  const result = await runAttachedInContainer(setup, command, {
    tty,
    logFile: state.bitbakeLog ?? bitbakeLogFile(setup),
    signal: state.signal,
  });
  return result.exitCode;
}
