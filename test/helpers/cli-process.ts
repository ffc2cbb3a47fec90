import { spawn } from 'node:child_process';
import { cliJs, cliJsForAnyUser } from './built-cli.js';

export interface CliProcess {
  pid: number;
  /** Resolves with the exit code once the CLI has exited. */
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** What a terminal's Ctrl-C does: SIGINT to the whole foreground process group (the CLI and the engine client it started). */
  ctrlC(): void;
}

/**
 * A real `node dist/cli.js …` (see ensureBuilt) in its own process group, as a user starts it
 * (CI=true: plain output). With `user`, it runs as that user through `runuser` (with their groups, e.g. docker).
 */
export function startCli(argv: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; user?: string }): CliProcess {
  const node = [process.execPath, options.user ? cliJsForAnyUser() : cliJs, ...argv];
  const [file, ...args] = options.user ? ['runuser', '-u', options.user, '--', ...node] : node;
  const child = spawn(file!, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  // 'close', not 'exit': the pipes are drained by then
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    pid: child.pid!,
    exited,
    output: () => ({ stdout, stderr }),
    ctrlC: () => process.kill(-child.pid!, 'SIGINT'),
  };
}

/** Runs the CLI to the end. */
export async function runCliProcess(argv: readonly string[], options: Parameters<typeof startCli>[1]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(argv, options);
  const code = await cli.exited;
  return { code, ...cli.output() };
}
