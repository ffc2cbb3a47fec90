import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, isAlive, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repo, 'dist', 'cli.js');

/** Ctrl-C on a real `node dist/cli.js smoke` mid-boot: exit 130, our QEMU and its overlay are gone. */
describe('vvehicle smoke interrupted', () => {
  let hang: BootableImage;
  beforeAll(async () => {
    hang = await busyboxImage('hang');
    if (!existsSync(join(repo, 'dist', 'commands', 'smoke.js'))) throw new Error('dist/ has no smoke command: run `npm run build` first');
  }, 600_000);

  it('SIGINT stops QEMU by its process group and exits 130', async () => {
    const dir = tempDir();
    const consoleLog = join(dir, 'console.log');
    const child = spawn(process.execPath, [cli, 'smoke', '-w', join(dir, 'work'), '--disk', hang.qcow2, '--kernel', hang.kernel, '--initrd', hang.initrd,
      '--accel', 'tcg', '--memory', '512', '--console-log', consoleLog], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const qemuPid = await waitFor('QEMU to start', () => qemuChildrenOf(child.pid!)[0], 60_000, 200);
    const overlay = /file=([^,\0]*overlay\.qcow2)/.exec(readFileSync(`/proc/${qemuPid}/cmdline`, 'utf8'))?.[1];
    expect(overlay).toBeDefined();
    expect(existsSync(overlay!)).toBe(true);
    // mid-boot: the kernel is running, the verdict is far away
    await waitFor('the kernel to boot', () => (existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes('Booting Linux') ? true : undefined), 120_000, 200);

    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(isAlive(qemuPid)).toBe(false);
    expect(existsSync(dirname(overlay!))).toBe(false);
    expect(stderr).toContain('interrupted by SIGINT');
  }, 300_000);
});
