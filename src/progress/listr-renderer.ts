import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTask } from 'listr2';

/**
 * Runs listr2 tasks the way every vvehicle command shows progress: the default renderer on a
 * terminal, the simple one-line-per-event renderer when not a TTY or CI=true. Progress goes to
 * stderr so stdout stays the command's result (`--json` output is read by programs).
 */
export function isPlainOutput(): boolean {
  return !process.stderr.isTTY || process.env.CI === 'true' || process.env.CI === '1';
}

export async function runTasks<Ctx extends object>(tasks: ListrTask<Ctx>[], ctx: Ctx): Promise<Ctx> {
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  const list = new Listr<Ctx, 'default', 'simple'>(tasks, {
    ctx,
    exitOnError: true,
    // listr2's own SIGINT handler calls process.exit(127) at once: our handler (signals.ts) must run
    // instead, so the cleanups stop QEMU and containers and the exit code is 130
    registerSignalListeners: false,
    renderer: 'default',
    rendererOptions: { logger: new ListrLogger({ processOutput }), timer: PRESET_TIMER },
    fallbackRenderer: 'simple',
    fallbackRendererOptions: { logger: new ListrLogger({ processOutput, useIcons: false }), timer: PRESET_TIMER },
    fallbackRendererCondition: isPlainOutput(),
  });
  return list.run();
}

/** In plain output every task.output is a line: only report each `step`-th percent. */
export function throttledPercent(step = isPlainOutput() ? 10 : 1): (percent: number) => boolean {
  let last = -Infinity;
  return (percent) => {
    const bucket = Math.floor(percent / step);
    if (bucket === last) return false;
    last = bucket;
    return true;
  };
}
