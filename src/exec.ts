import { execa, type Options, type Result } from 'execa';
import { appendFileSync } from 'node:fs';
import { ToolError } from './errors.js';

/**
 * The single place that starts external programs. Tool wrappers in src/tools build argv arrays
 * (never shell strings) and call `run`; a failure becomes a ToolError with the tail of stderr.
 */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  signal?: AbortSignal;
  /** Append the command line and its output to this log file. */
  logFile?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  failed: boolean;
}

const TAIL_LINES = 40;

export function tailLines(text: string, n = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = formatCommand(file, args);
  if (options.logFile) appendFileSync(options.logFile, `$ ${command}\n`);
  const execaOptions: Options = {
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    cancelSignal: options.signal,
    timeout: options.timeoutMs,
    reject: false,
    stripFinalNewline: true,
    forceKillAfterDelay: 5000,
  };
  let result: Result;
  try {
    result = await execa(file, args, execaOptions);
  } catch (error) {
    throw new ToolError(command, 127, '', `cannot start ${file}: ${(error as Error).message}`);
  }
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (options.logFile) appendFileSync(options.logFile, `${stdout}${stdout ? '\n' : ''}${stderr}${stderr ? '\n' : ''}`);
  if (result.isCanceled) throw options.signal?.reason ?? new ToolError(command, 130, '', `${file} was cancelled`);
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : result.failed ? 127 : 0;
  const failed = exitCode !== 0 || result.failed;
  if (failed && !options.allowFailure) {
    const notFound = (result as { code?: string }).code === 'ENOENT';
    throw new ToolError(
      command,
      notFound ? 127 : exitCode || 1,
      tailLines(stderr || stdout),
      notFound ? `${file} is not installed (not found on PATH)` : undefined,
    );
  }
  return { command, exitCode, stdout, stderr, failed };
}

export interface ChunkedRunOptions extends RunOptions {
  /** Called with every chunk the program writes, as it arrives (e.g. `qemu-img -p` progress, which redraws with \r, not lines). */
  onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Like `run`, but hands output to `onOutput` while the program runs, for progress of long steps.
 * Same logging, cancellation and ToolError semantics as `run`.
 */
export async function runWithChunks(file: string, args: readonly string[], options: ChunkedRunOptions): Promise<RunResult> {
  const command = formatCommand(file, args);
  if (options.logFile) appendFileSync(options.logFile, `$ ${command}\n`);
  let result: Result;
  try {
    const subprocess = execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      input: options.input,
      cancelSignal: options.signal,
      timeout: options.timeoutMs,
      reject: false,
      stripFinalNewline: true,
      forceKillAfterDelay: 5000,
    });
    subprocess.stdout?.on('data', (chunk: Buffer) => options.onOutput(chunk.toString('utf8'), 'stdout'));
    subprocess.stderr?.on('data', (chunk: Buffer) => options.onOutput(chunk.toString('utf8'), 'stderr'));
    result = await subprocess;
  } catch (error) {
    throw new ToolError(command, 127, '', `cannot start ${file}: ${(error as Error).message}`);
  }
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (options.logFile) appendFileSync(options.logFile, `${stdout}${stdout ? '\n' : ''}${stderr}${stderr ? '\n' : ''}`);
  if (result.isCanceled) throw options.signal?.reason ?? new ToolError(command, 130, '', `${file} was cancelled`);
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : result.failed ? 127 : 0;
  const failed = exitCode !== 0 || result.failed;
  if (failed && !options.allowFailure) {
    const notFound = (result as { code?: string }).code === 'ENOENT';
    throw new ToolError(command, notFound ? 127 : exitCode || 1, tailLines(stderr || stdout), notFound ? `${file} is not installed (not found on PATH)` : undefined);
  }
  return { command, exitCode, stdout, stderr, failed };
}
