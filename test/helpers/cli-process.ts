import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec.js';
import { packageRoot } from '../../src/package-paths.js';
import { CACHE_ROOT, withLock } from './fixtures/cache.js';

export const cliPath = join(packageRoot, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  return Math.max(0, ...readdirSync(dir).map((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    return st.isDirectory() ? newestMtime(path) : st.mtimeMs;
  }));
}

/** `npm run build` when dist/ is missing or older than src/ (test files in two workers: under a lock). */
export async function ensureBuiltCli(): Promise<void> {
  const stale = () => !existsSync(cliPath) || statSync(cliPath).mtimeMs < newestMtime(join(packageRoot, 'src'));
  if (!stale()) return;
  await withLock(join(CACHE_ROOT, `build-${packageRoot.replace(/\W/g, '_')}.lock`), async () => {
    if (stale()) await run('npm', ['run', '--silent', 'build'], { cwd: packageRoot });
  });
}

export interface CliProcess {
  pid: number;
  /** Resolves with the exit code once the CLI has exited. */
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** What a terminal's Ctrl-C does: SIGINT to the whole foreground process group (the CLI and the engine client it started). */
  ctrlC(): void;
}

/**
 * A real `node dist/cli.js …` in its own process group, as a user starts it (CI=true: plain output).
 * With `user`, it runs as that user through `runuser` (its groups, e.g. docker, included).
 */
export function startCli(argv: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; user?: string }): CliProcess {
  const node = [process.execPath, cliPath, ...argv];
  const [file, ...args] = options.user ? ['runuser', '-u', options.user, '--', ...node] : node;
  const child = spawn(file!, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
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
  // 'exit' can come before the last output: wait for the pipes to drain
  await new Promise((r) => setTimeout(r, 50));
  return { code, ...cli.output() };
}
