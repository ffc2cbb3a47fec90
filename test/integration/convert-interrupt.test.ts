import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-paths.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const cli = join(packageRoot, 'dist', 'cli.js');

/** Pids of `name` processes whose parent is `parent` (from /proc; by id, never by name-wide kill). */
function childrenNamed(parent: number, name: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === parent && comm === name ? [Number(pid)] : [];
      } catch {
        return []; // exited while we looked
      }
    });
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/** Ctrl-C on a real `node dist/cli.js convert` while qemu-img works: exit 130, qemu-img gone, nothing left behind. */
describe('vvehicle convert interrupted', () => {
  beforeAll(() => {
    if (!existsSync(join(packageRoot, 'dist', 'commands', 'convert.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
  }, 300_000);

  it('SIGINT stops qemu-img, removes the staging dir and exits 130', async () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'), { sizeMiB: 16 });
    // a rootfs whose compressed conversion takes seconds: 192 MiB of incompressible data
    const data = join(root, 'data');
    mkdirSync(join(data, 'usr'), { recursive: true });
    for (let i = 0; i < 24; i++) writeFileSync(join(data, 'usr', `blob-${i}`), randomBytes(8 << 20));
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', data, join(d.deployDir, d.rootfsName()), '384M']);
    writeFileSync(join(root, 'vvehicle.yml'), 'extends: gateway-qemuarm64\noutput:\n  qcow2:\n    compress: true\n');

    const out = join(root, 'out');
    const child = spawn(process.execPath, [cli, 'convert', '-c', join(root, 'vvehicle.yml'), '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', out],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const qemuImg = await waitFor('qemu-img convert to start', () => childrenNamed(child.pid!, 'qemu-img')[0], 60_000, 50);
    const staging = await waitFor('the staging dir', () => readdirSync(root).find((n) => n.startsWith('.out.staging-')), 10_000, 50);
    expect(statSync(join(root, staging)).isDirectory()).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('interrupted by SIGINT');
    expect(alive(qemuImg)).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((n) => n.startsWith('.out.'))).toEqual([]);
  }, 300_000);
});
