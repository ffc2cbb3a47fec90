import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, isAlive, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repo, 'dist', 'cli.js');

/** The files a process holds open, and whether it may write them (from /proc/<pid>/fd and fdinfo). */
function openFiles(pid: number): { path: string; flags: 'read-only' | 'writable' }[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const path = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]!, 8);
      return [{ path, flags: (flags & 3) === 0 ? ('read-only' as const) : ('writable' as const) }];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** Ctrl-C on a real `node dist/cli.js smoke` mid-boot: exit 130, our QEMU and its scratch dir are gone. */
describe('vvehicle smoke interrupted', () => {
  let hang: BootableImage;
  beforeAll(async () => {
    hang = await busyboxImage('hang');
    if (!existsSync(join(repo, 'dist', 'commands', 'smoke.js'))) throw new Error('dist/ has no smoke command: run `npm run build` first');
  }, 600_000);

  /** `vvehicle smoke` on the image that never finishes booting; killed at the end whatever the test saw. */
  function smokeHang(dir: string, consoleLog: string) {
    const child = spawn(process.execPath, [cli, 'smoke', '-w', join(dir, 'work'), '--disk', hang.qcow2, '--kernel', hang.kernel, '--initrd', hang.initrd,
      '--accel', 'tcg', '--memory', '512', '--console-log', consoleLog], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    started.push(child);
    return child;
  }
  const started: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    // a failed expectation must not leave the CLI (and so its QEMU) booting on
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  });

  it('SIGINT stops QEMU by its process group and exits 130', async () => {
    const dir = tempDir();
    const consoleLog = join(dir, 'console.log');
    const child = smokeHang(dir, consoleLog);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const qemuPid = await waitFor('QEMU to start', () => qemuChildrenOf(child.pid!)[0], 60_000, 200);
    // QEMU opened the base read-only; its overlay is in our scratch dir ($TMPDIR), already unlinked
    const scratch = /(?:^|\0)TMPDIR=([^\0]*)/.exec(readFileSync(`/proc/${qemuPid}/environ`, 'utf8'))?.[1];
    expect(scratch).toMatch(/vvehicle-smoke-/);
    // (the overlay comes after the base is open; QEMU also reads the credential files there, briefly)
    const inScratchDeleted = (f: { path: string }) => f.path.startsWith(`${scratch}/`) && f.path.endsWith(' (deleted)');
    const open = await waitFor('QEMU to open its disks', () => {
      const files = openFiles(qemuPid);
      return files.some(inScratchDeleted) ? files : undefined;
    }, 60_000, 200);
    expect(open.find((f) => f.path === hang.qcow2)?.flags).toBe('read-only');
    expect(open.filter(inScratchDeleted).length).toBe(1);
    // mid-boot: the kernel is running, the verdict is far away
    await waitFor('the kernel to boot', () => (existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes('Booting Linux') ? true : undefined), 120_000, 200);

    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(isAlive(qemuPid)).toBe(false);
    expect(existsSync(scratch!)).toBe(false);
    expect(stderr).toContain('interrupted by SIGINT');
  }, 300_000);

  it('a reader that goes away (`vvehicle smoke 2>&1 | head -1`) ends the run like Ctrl-C: QEMU stopped, exit 130', async () => {
    const dir = tempDir();
    const child = smokeHang(dir, join(dir, 'console.log'));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // the progress display comes up once QEMU runs; after its first line the pipe closes, and the next
    // progress line fails with EPIPE (which, unheard, killed the CLI at once and left QEMU running)
    await new Promise<void>((r) => child.stderr!.once('data', () => r()));
    const qemuPid = await waitFor('QEMU to start', () => qemuChildrenOf(child.pid!)[0], 60_000, 50);
    const scratch = /(?:^|\0)TMPDIR=([^\0]*)/.exec(readFileSync(`/proc/${qemuPid}/environ`, 'utf8'))?.[1];
    child.stderr!.destroy();
    child.stdout!.destroy();
    expect(await exited).toBe(130);
    expect(isAlive(qemuPid)).toBe(false);
    expect(existsSync(scratch!)).toBe(false);
  }, 300_000);
});
