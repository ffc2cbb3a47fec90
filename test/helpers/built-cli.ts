import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-paths.js';

/** The installed program as users and CI start it: `node dist/cli.js`, a process of its own. */
export const cliJs = join(packageRoot, 'dist', 'cli.js');

/**
 * `dist/cli.js` of a copy of the installed package that every user can read, for a test that runs the CLI as
 * another user: a checkout under /root (mode 0700, as CI's clone may be) is not theirs to read. dist/ is one
 * bundle, so the copy needs no node_modules; the package root is where package.json is.
 *
 * The copy's name is derived from the checkout and its bundle, so every test worker of a run shares one copy and a
 * worker that vitest kills leaves nothing new behind: the next run finds it, or replaces the copies of an older
 * bundle of this checkout.
 */
export function cliJsForAnyUser(): string {
  const checkout = createHash('sha256').update(packageRoot).digest('hex').slice(0, 12);
  const bundle = createHash('sha256');
  const dist = join(packageRoot, 'dist');
  for (const f of readdirSync(dist, { recursive: true, encoding: 'utf8' }).sort()) {
    if (statSync(join(dist, f)).isFile()) bundle.update(f).update(readFileSync(join(dist, f)));
  }
  const dir = join(tmpdir(), `vvehicle-cli-${checkout}-${bundle.digest('hex').slice(0, 12)}`);
  if (!existsSync(join(dir, 'dist', 'cli.js'))) {
    for (const old of readdirSync(tmpdir())) {
      if (old.startsWith(`vvehicle-cli-${checkout}-`)) rmSync(join(tmpdir(), old), { recursive: true, force: true });
    }
    // copied aside, then renamed: a worker never sees a half-made copy
    const staging = mkdtempSync(join(tmpdir(), `.vvehicle-cli-${checkout}-`));
    for (const entry of ['package.json', 'dist', 'templates', 'layers', 'profiles', 'schemas']) cpSync(join(packageRoot, entry), join(staging, entry), { recursive: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another worker renamed its copy first
    }
  }
  return join(dir, 'dist', 'cli.js');
}

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs));
}

/** Builds dist/ when it is missing or older than src/ (running one test file alone). */
export function ensureBuilt(): void {
  if (!existsSync(cliJs) || statSync(cliJs).mtimeMs < newestMtime(join(packageRoot, 'src'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
  }
}

export function vvehicleSync(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts the CLI with VVEHICLE_TEST_PAUSE_AT=<step> and resolves once it printed that it waits there,
 * so the test can kill it at exactly that point.
 */
export async function startPausedAt(step: string, args: string[], cwd: string): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [cliJs, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', VVEHICLE_TEST_PAUSE_AT: step } });
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
      if (stderr.includes(`VVEHICLE-PAUSED ${step}`)) resolve();
    });
    void exited.then((code) => reject(new Error(`exited ${code} before pausing at ${step}:\n${stderr}`)));
  });
  return { child, exited, stderr: () => stderr };
}
