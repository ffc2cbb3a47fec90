import { spawn, spawnSync } from 'node:child_process';
import type { Options, Result } from 'execa';
import { appendFileSync } from 'node:fs';
import { ToolError } from './errors.js';
import { notFoundMessage } from './host/packages.js';

/**
 * execa (190 kB with its dependencies) is loaded by the calls that use it, on their first call: a command
 * that only starts QEMU (smoke) or reads a git work tree while loading the configuration never compiles it.
 */
const loadExeca = () => import('execa');

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
  /** Called with every chunk the program writes, as it arrives (e.g. `qemu-img -p` progress, which redraws with \r, not lines). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** The file the program writes; carried by its ToolError so a full disk is reported there. */
  writes?: string;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  failed: boolean;
  /** The program was stopped because it outlived `timeoutMs`. */
  timedOut: boolean;
}

const TAIL_LINES = 40;

export function tailLines(text: string, n = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The environment a program gets: ours, with `env` on top (as execa does; undefined removes a variable). */
function withEnv(env: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv | undefined {
  if (!env) return undefined;
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
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
  const { execa } = await loadExeca();
  let result: Result;
  try {
    const subprocess = execa(file, args, execaOptions);
    if (options.onOutput) {
      const onOutput = options.onOutput;
      subprocess.stdout?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8'), 'stdout'));
      subprocess.stderr?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8'), 'stderr'));
    }
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
    throw new ToolError(
      command,
      notFound ? 127 : exitCode || 1,
      tailLines(stderr || stdout),
      notFound ? notFoundMessage(file) : undefined,
      options.writes,
    );
  }
  return { command, exitCode, stdout, stderr, failed, timedOut: result.timedOut === true };
}

/**
 * A short, synchronous call (a few ms), for what configuration loading reads from a program: the state of a
 * local git work tree. Output is returned as a Buffer-free string; `allowFailure` as for run().
 */
export function runSync(file: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined>; allowFailure?: boolean } = {}): Omit<RunResult, 'timedOut'> {
  const command = formatCommand(file, args);
  const result = spawnSync(file, args, { cwd: options.cwd, env: withEnv(options.env), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  const notFound = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const exitCode = typeof result.status === 'number' ? result.status : 127;
  const failed = exitCode !== 0 || result.error !== undefined;
  if (failed && !options.allowFailure) throw new ToolError(command, notFound ? 127 : exitCode || 1, tailLines(stderr || stdout), notFound ? notFoundMessage(file) : undefined);
  return { command, exitCode, stdout, stderr, failed };
}

/** A long-running program started in its own process group (QEMU). */
export interface DetachedProcess {
  command: string;
  pid: number;
  /** Resolves when the program has exited; never rejects. */
  exited: Promise<{ exitCode: number | undefined; signal: string | undefined; stderr: string }>;
  /** True once the program has exited. */
  hasExited(): boolean;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs` (at once for 0); resolves once the program is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface DetachedOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Append the command line and stderr to this log file. */
  logFile?: string;
}

/**
 * Starts a program that outlives a single call (QEMU). It runs detached, i.e. as the leader of its
 * own process group, so a terminal's Ctrl-C reaches only us and we decide how it is stopped; stop()
 * signals the group by its id (never a name), which also reaches any children it forked. Its stdout
 * goes nowhere (QEMU writes its console into a file); its stderr is kept for errors and the log.
 */
export function startDetached(file: string, args: readonly string[], options: DetachedOptions): DetachedProcess {
  const command = formatCommand(file, args);
  if (options.logFile) appendFileSync(options.logFile, `$ ${command}\n`);
  // node's own spawn: a process group leader with its stderr piped needs nothing of execa's
  const child = spawn(file, args, { cwd: options.cwd, env: withEnv(options.env), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let done = false;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-16_384);
    if (options.logFile) appendFileSync(options.logFile, chunk);
  });
  // 'close' comes after the output streams ended, so stderr is complete; 'error' when it never started
  const exited = new Promise<{ exitCode: number | undefined; signal: string | undefined; stderr: string }>((resolve) => {
    child.once('error', () => resolve({ exitCode: undefined, signal: undefined, stderr }));
    child.once('close', (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined, stderr }));
  }).finally(() => {
    done = true;
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new ToolError(command, 127, '', notFoundMessage(file));
  }
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  };
  const stop = async (graceMs = 3000) => {
    if (done) {
      signalGroup('SIGKILL'); // children the leader left behind, if any
      return;
    }
    if (graceMs <= 0) {
      signalGroup('SIGKILL');
      await exited;
      return;
    }
    signalGroup('SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') {
      signalGroup('SIGKILL');
      await exited;
    }
  };
  return { command, pid, exited, hasExited: () => done, stop };
}

export interface StreamOptions extends Omit<RunOptions, 'input' | 'allowFailure' | 'timeoutMs'> {
  /** Called with every line of stdout and stderr (interleaved, as they arrive). */
  onLine: (line: string) => void;
}

/**
 * For long-running programs whose output is progress (bitbake in a container): lines go to onLine
 * and to the log file as they arrive, nothing is buffered in memory. Resolves with the exit code;
 * a non-zero exit is for the caller to judge (it knows how to summarise the failure).
 */
export async function runStreaming(file: string, args: readonly string[], options: StreamOptions): Promise<{ command: string; exitCode: number }> {
  const command = formatCommand(file, args);
  if (options.logFile) appendFileSync(options.logFile, `$ ${command}\n`);
  const { execa } = await loadExeca();
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    cancelSignal: options.signal,
    reject: false,
    all: true,
    buffer: false,
    forceKillAfterDelay: 5000,
    stdin: 'ignore',
  });
  const lines = subprocess.iterable({ from: 'all' });
  for await (const line of lines) {
    if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
    options.onLine(line);
  }
  const result = await subprocess;
  if (result.isCanceled) throw options.signal?.reason ?? new ToolError(command, 130, '', `${file} was cancelled`);
  if ((result as { code?: string }).code === 'ENOENT') throw new ToolError(command, 127, '', notFoundMessage(file));
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : 1;
  return { command, exitCode };
}

/**
 * Runs a program on our own terminal (stdin, stdout and stderr inherited): for `vvehicle shell` and
 * `vvehicle bitbake`, whose output is the user's to read or pipe. The command line goes to the log.
 */
export async function runAttached(file: string, args: readonly string[], options: { logFile?: string; signal?: AbortSignal } = {}): Promise<{ command: string; exitCode: number }> {
  const command = formatCommand(file, args);
  if (options.logFile) appendFileSync(options.logFile, `$ ${command}\n`);
  const { execa } = await loadExeca();
  const result = await execa(file, args, { stdio: 'inherit', cancelSignal: options.signal, reject: false, forceKillAfterDelay: 5000 });
  if (result.isCanceled) throw options.signal?.reason ?? new ToolError(command, 130, '', `${file} was cancelled`);
  if ((result as { code?: string }).code === 'ENOENT') throw new ToolError(command, 127, '', notFoundMessage(file));
  return { command, exitCode: typeof result.exitCode === 'number' ? result.exitCode : 1 };
}
