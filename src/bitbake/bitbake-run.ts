import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisiveLine, ToolError } from '../errors.js';
import { tailLines } from '../exec.js';
import { BitbakeOutput, bitbakeArgv, type BitbakeCommand, type BitbakeSummary } from '../tools/bitbake.js';
import { runInContainer, type ContainerSetup } from '../container/container.js';
import { buildPaths } from './configure.js';

export interface BitbakeRunOptions {
  network: 'none' | 'default';
  signal?: AbortSignal;
  /** Progress text for listr2 (`bitbake  2,314/4,060 tasks · ueransim do_compile`). */
  onProgress: (text: string) => void;
  logFile: string;
}

export interface BitbakeRunResult {
  summary: BitbakeSummary;
  lines: number;
  logFile: string;
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** <work>/logs/bitbake-<timestamp>.log: one file per run, the full output of every command in it. */
export function bitbakeLogFile(setup: ContainerSetup, date = new Date()): string {
  const dir = buildPaths(setup.plan, setup.workDir).logs;
  mkdirSync(dir, { recursive: true });
  return join(dir, `bitbake-${timestamp(date)}.log`);
}

/** Runs one bitbake command in the builder container; a failure becomes a ToolError with bitbake's exit code. */
export async function runBitbake(setup: ContainerSetup, command: BitbakeCommand, options: BitbakeRunOptions): Promise<BitbakeRunResult> {
  const parser = new BitbakeOutput();
  const recent: string[] = [];
  let lines = 0;
  const argv = bitbakeArgv(command);
  const result = await runInContainer(setup, waitForServer(argv), {
    network: options.network,
    logFile: options.logFile,
    signal: options.signal,
    onLine: (line) => {
      lines++;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (parser.feed(line)) {
        const text = parser.progressText();
        if (text) options.onProgress(text);
      }
    },
  });
  const summary = parser.summary();
  if (result.exitCode !== 0) throw failureError(argv.join(' '), result.exitCode, summary, recent, options.logFile);
  return { summary, lines, logFile: options.logFile };
}

/**
 * bitbake's server saves its parse cache in a background thread after the client has its answer;
 * if the container stopped with the client, the next run would find half a cache and re-parse.
 * So the container's command waits (bounded) for the server to release bitbake.lock. A fixed
 * script: the bitbake argv is passed as positional parameters, never spliced into the text.
 */
export const WAIT_FOR_SERVER = '"$@"; rc=$?; [ -e bitbake.lock ] && timeout 600 flock bitbake.lock true; exit $rc';

export function waitForServer(argv: readonly string[]): string[] {
  return ['sh', '-c', WAIT_FOR_SERVER, 'vvehicle-bitbake', ...argv];
}

/** The failing task, the logfile bitbake named and its last 40 lines (or bitbake's own last lines). */
export function failureError(command: string, exitCode: number, summary: BitbakeSummary, recent: readonly string[], logFile: string): ToolError {
  const first = summary.failed[0];
  const taskLog = first?.logfile ?? summary.logfiles[0];
  const taskTail = taskLog && existsSync(taskLog) ? tailLines(readFileSync(taskLog, 'utf8'), 40) : undefined;
  const what = first
    ? `task ${first.recipe} ${first.taskName} failed${summary.failed.length > 1 ? ` (and ${summary.failed.length - 1} more)` : ''}`
    : summary.errors.length
      ? summary.errors[summary.errors.length - 1]!.replace(/^ERROR: /, '')
      : // the engine or the container failed before bitbake spoke (e.g. podman's "Error: …")
        (decisiveLine(recent.join('\n')) ?? 'no task failure reported');
  const lines = [
    `bitbake failed with exit code ${exitCode}: ${what}`,
    ...(first ? [`failed task: ${first.task}`] : []),
    ...(taskLog ? [`Logfile of failure stored in: ${taskLog}`] : []),
    `full output: ${logFile}`,
  ];
  return new ToolError(command, exitCode, taskTail ?? recent.join('\n'), lines.join('\n'));
}
