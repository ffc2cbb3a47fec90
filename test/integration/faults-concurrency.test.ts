import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliJs, ensureBuilt, startPausedAt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { tempDir } from '../helpers/tmp.js';

function vvehicleAsync(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliJs, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((r) => child.on('exit', (code) => r({ code, stderr })));
}

describe('two runs at once', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('a second build on the same work dir is refused naming the first one; once that one is gone, the lock is taken over', async () => {
    const root = tempDir();
    const work = join(root, 'work');
    makeDeployDir(join(work, 'build', 'gateway-qemuarm64'));
    const args = ['build', '-w', work, '--only', 'convert', '--min-free-gib', '0'];
    const first = await startPausedAt('stage:convert:done', args, root);
    try {
      const second = vvehicle(args, root);
      expect(second.code, second.stderr).toBe(2);
      expect(second.stderr).toMatch(
        new RegExp(`^error: work directory ${work} is in use by another vvehicle run \\(pid ${first.child.pid} on ${hostname()}, since \\S+: vvehicle build -w ${work} --only convert --min-free-gib 0\\)$`, 'm'),
      );
      expect(second.stderr).toMatch(/^hint: wait for it to finish, or stop it; the lock is .*\.lock/m);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const third = vvehicle(args, root);
    expect(third.code, third.stderr).toBe(0);
    expect(existsSync(join(work, '.lock'))).toBe(false);
  }, 180_000);

  it('two publishes of one version: exactly one wins, the other exits 2', async () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build')).deployDir;
    expect(vvehicle(['convert', '-w', 'work', '--deploy-dir', deploy, '--out', 'out'], root).code).toBe(0);
    expect(vvehicle(['manifest', '-w', 'work', '--from', 'out'], root).code).toBe(0);

    // one holds the publish lock (paused just before placing the version): the other is refused
    const holder = await startPausedAt('publish:staged', ['publish', '-w', 'work', '--from', 'out', '--to', 'held'], root);
    try {
      const refused = vvehicle(['publish', '-w', 'work', '--from', 'out', '--to', 'held'], root);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`^error: publishing vvehicle-gateway in ${root}/held/vvehicle-gateway is in use by another vvehicle run \\(pid ${holder.child.pid} `, 'm'));
    } finally {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }

    // a real race, no pause: whichever comes second meets the lock or the published version
    const both = await Promise.all([0, 1].map(() => vvehicleAsync(['publish', '-w', 'work', '--from', 'out', '--to', 'pub'], root)));
    expect(both.map((r) => r.code).sort()).toEqual([0, 2]);
    const loser = both.find((r) => r.code === 2)!;
    expect(loser.stderr).toMatch(/^error: (publishing vvehicle-gateway in .* is in use by another vvehicle run|vvehicle-gateway 0\.1\.0 is already published)/m);
    expect(JSON.parse(readFileSync(join(root, 'pub/vvehicle-gateway/channels/stable.json'), 'utf8')).version).toBe('0.1.0');
    expect(vvehicle(['manifest', 'verify', join(root, 'pub/vvehicle-gateway/0.1.0/manifest.json')], root).code).toBe(0);
  }, 180_000);
});
