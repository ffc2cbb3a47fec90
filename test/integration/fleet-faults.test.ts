import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJs, cliJsForAnyUser, ensureBuilt } from '../helpers/built-cli.js';
import { runCli } from '../helpers/cli.js';
import { command } from '../helpers/fixtures/command.js';
import { busyboxImage } from '../helpers/fixtures/index.js';
import { domainsNamed, ensureLibvirt, privateLibvirtd, TEST_URI, type PrivateLibvirtd } from '../helpers/libvirt.js';
import { publishFixture, type PublishedFixture } from '../helpers/published-image.js';
import { fillUntil, mountTmpfs } from '../helpers/tmpfs.js';
import { chownTree, testUser } from '../helpers/test-user.js';

/**
 * Faults of the machine during `fleet up` (issue 14), each one real: a tmpfs too small for the overlays,
 * a tmpfs that fills while they are made, and libvirtd stopped in the middle of starting the fleet (a
 * libvirtd of this test's own: the shared system daemon of the other tests is never touched).
 */

interface Cli {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  /** Resolves when the run printed that it waits at its pause point. */
  paused: Promise<void>;
}

function startCli(args: string[], options: { pauseAt?: string; user?: PrivateLibvirtd; env?: Record<string, string> } = {}): Cli {
  const u = options.user;
  const child = spawn(process.execPath, [u ? cliJsForAnyUser() : cliJs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...(u ? u.env : process.env), CI: 'true', ...(options.pauseAt ? { VVEHICLE_TEST_PAUSE_AT: options.pauseAt } : {}), ...options.env },
    ...(u ? { uid: u.user.uid, gid: u.user.gid, cwd: u.env.HOME } : {}),
  });
  let stderr = '';
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const paused = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
      if (options.pauseAt && stderr.includes(`VVEHICLE-PAUSED ${options.pauseAt}`)) resolve();
    });
    void exited.then((code) => reject(new Error(`exited ${code} before pausing at ${options.pauseAt}:\n${stderr}`)));
  });
  paused.catch(() => undefined);
  return { child, exited, stderr: () => stderr, paused };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Disk files below the fleet's disks/ (hidden ones too: a temp or template left behind would show). */
const disksIn = (dir: string) => (existsSync(join(dir, 'disks')) ? readdirSync(join(dir, 'disks')).sort() : []);

describe('fleet up meets a fault of the machine', () => {
  let published: PublishedFixture;
  let root: string;
  beforeAll(async () => {
    ensureBuilt();
    const [image] = await Promise.all([busyboxImage('healthy'), ensureLibvirt()]);
    root = mkdtempSync(join(tmpdir(), 'vvehicle-fleet-faults-'));
    published = await publishFixture(root, image);
  }, 900_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const plan = async (dir: string, name: string, host = `${TEST_URI},cores=2`) => {
    const r = await runCli(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', '3', '--name', name, '--host', host, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1']);
    expect(r.code, r.stderr).toBe(0);
  };

  it('a disk too small for the overlays: exit 2 with the path, free and needed space; nothing created', async () => {
    const fs = mountTmpfs('1m');
    try {
      const dir = join(fs.dir, 'fleet');
      await plan(dir, 'ffsmall');
      const r = await runCli(['fleet', 'up', '--dir', dir]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^error: not enough free space for 3 overlay\\(s\\) of vvehicle-gateway-0\\.1\\.0\\.qcow2 and their domain files in ${dir} \\([0-9.]+ KiB free there, 1\\.4 MiB needed, [0-9.]+ (KiB|MiB) short\\); nothing was written$`, 'm'),
      );
      expect(r.stderr).toMatch(/^hint: free space on that file system, or choose a larger one/m);
      expect(r.stderr).not.toContain('internal error');
      expect(readdirSync(dir).sort()).toEqual(['fleet.json', 'fleet.secrets.json']);
      expect(await domainsNamed('vvehicle-ffsmall-')).toEqual([]);
    } finally {
      fs.unmount();
    }
  }, 300_000);

  it('the disk fills while the overlays are made: exit 2 naming the disk, no half-made one, the made ones listed; down removes them', async () => {
    const fs = mountTmpfs('4m');
    try {
      const dir = join(fs.dir, 'fleet');
      await plan(dir, 'fffill');
      const up = startCli(['fleet', 'up', '--dir', dir], { pauseAt: 'fleet-up:disks' });
      try {
        await up.paused;
        // the space check passed; now something else takes the disk: room for the template and one overlay
        fillUntil(fs.dir, 450 * 1024);
        up.child.kill('SIGUSR2');
        expect(await up.exited, up.stderr()).toBe(2);
      } finally {
        up.child.kill('SIGKILL');
      }
      const stderr = up.stderr();
      expect(stderr).toMatch(new RegExp(`^error: no space left on device writing ${dir}/disks/fffill-00[1-3]\\.qcow2 \\([0-9.]+ (bytes|KiB) free there, [0-9.]+ KiB needed, [0-9.]+ KiB short\\); nothing was half-written$`, 'm'));
      expect(stderr).not.toContain('internal error');
      // every disk left is whole and named in the message; no temp file or template remains
      const made = disksIn(dir);
      expect(made.every((f) => /^fffill-00[1-3]\.qcow2$/.test(f)), made.join(' ')).toBe(true);
      const listed = made.length ? `created before it stopped: ${made.map((f) => `${f.replace('.qcow2', '')} (disk)`).join(', ')}` : 'nothing was created';
      expect(stderr).toContain(`${listed}; \`vvehicle fleet down --dir ${dir}\` removes what this up created`);
      for (const f of made) await command('qemu-img', ['check', '-q', join(dir, 'disks', f)]);
      expect(await domainsNamed('vvehicle-fffill-')).toEqual([]);

      rmSync(join(fs.dir, 'filler'));
      const down = await runCli(['fleet', 'down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
      expect(existsSync(join(dir, 'disks'))).toBe(false);
      expect(existsSync(join(dir, 'state.json'))).toBe(false);
    } finally {
      fs.unmount();
    }
  }, 300_000);

  describe('with a libvirtd of its own', () => {
    let libvirtd: PrivateLibvirtd;
    let userRoot: string;
    beforeAll(async () => {
      const user = await testUser('vvehicle-fleet');
      userRoot = join(root, 'private');
      mkdirSync(userRoot, { mode: 0o755 });
      libvirtd = await privateLibvirtd(user);
    }, 120_000);
    afterAll(async () => {
      await libvirtd?.dispose();
    });

    const asUser = (args: string[], extra: { pauseAt?: string; env?: Record<string, string> } = {}) => startCli(args, { ...extra, user: libvirtd });
    /** A fleet dir of the libvirtd's own user, planned with `count` vehicles on that libvirtd. */
    const planAsUser = async (dirName: string, name: string, count: number) => {
      const dir = join(userRoot, dirName);
      mkdirSync(dir);
      chownTree(dir, libvirtd.user.uid, libvirtd.user.gid);
      const planned = asUser(['fleet', 'plan', '--dir', dir, '--image', published.manifest, '--count', String(count), '--name', name, '--host', `${libvirtd.uri},cores=2`, '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1']);
      expect(await planned.exited, planned.stderr()).toBe(0);
      return dir;
    };
    const domains = async () => (await command('virsh', ['-q', '-c', libvirtd.uri, 'list', '--all', '--name'])).split('\n').map((l) => l.trim()).filter(Boolean).sort();

    it('libvirtd stops during up: one message naming it and the fix, the vehicles made so far listed; down cleans up once it is back', async () => {
      const dir = await planAsUser('fleet', 'ffdown', 3);

      const up = asUser(['fleet', 'up', '--dir', dir, '--parallel', '1'], { pauseAt: 'fleet-up:first-started' });
      try {
        await up.paused;
        expect(await domains()).toEqual(['vvehicle-ffdown-001']);
        await libvirtd.stop();
        up.child.kill('SIGUSR2');
        expect(await up.exited, up.stderr()).toBe(2);
      } finally {
        up.child.kill('SIGKILL');
      }
      const stderr = up.stderr();
      const socket = join(libvirtd.env.XDG_RUNTIME_DIR!, 'libvirt', 'libvirt-sock');
      expect(stderr).toMatch(new RegExp(`^error: libvirtd at ${escape(libvirtd.uri)} is not reachable: Failed to connect socket to '${escape(socket)}': (No such file or directory|Connection refused)$`, 'm'));
      expect(stderr).toMatch(/^hint: start libvirtd there \(`systemctl start libvirtd`, or `virtlogd -d && libvirtd -d` where there is no systemd; for a qemu\+ssh:\/\/ URI also check ssh to that host\), then rerun$/m);
      expect(stderr).toMatch(new RegExp(`^created before it stopped: ffdown-001 \\(disk, domain started\\), ffdown-002 \\(disk\\), ffdown-003 \\(disk\\); \`vvehicle fleet down --dir ${escape(dir)}\` removes what this up created$`, 'm'));
      expect(stderr).not.toContain('internal error');

      // with libvirtd still down, down says so at once and removes nothing it could not account for
      const early = asUser(['fleet', 'down', '--dir', dir]);
      expect(await early.exited).toBe(2);
      expect(early.stderr()).toContain(`error: libvirtd at ${libvirtd.uri} is not reachable`);

      await libvirtd.start();
      expect(await domains()).toEqual(['vvehicle-ffdown-001']); // the started vehicle ran on without its daemon
      const down = asUser(['fleet', 'down', '--dir', dir]);
      expect(await down.exited, down.stderr()).toBe(0);
      expect(await domains()).toEqual([]);
      expect(existsSync(join(dir, 'disks'))).toBe(false);
      expect(existsSync(join(dir, 'state.json'))).toBe(false);
    }, 600_000);

    it('libvirtd hangs during up (accepts, never answers): a bounded wait, then the same message; down once it answers again', async () => {
      const dir = await planAsUser('hung', 'ffhung', 2);
      const up = asUser(['fleet', 'up', '--dir', dir, '--parallel', '1'], { pauseAt: 'fleet-up:first-started', env: { VVEHICLE_LIBVIRT_TIMEOUT: '20' } });
      try {
        await up.paused;
        libvirtd.freeze();
        up.child.kill('SIGUSR2');
        expect(await up.exited, up.stderr()).toBe(2);
      } finally {
        up.child.kill('SIGKILL');
        libvirtd.thaw();
      }
      const stderr = up.stderr();
      expect(stderr).toMatch(new RegExp(`^error: libvirtd at ${escape(libvirtd.uri)} is not reachable: \`virsh -q -c '${escape(libvirtd.uri)}' define --validate ${escape(dir)}/domains/ffhung-002\.xml\` did not answer within 20 s$`, 'm'));
      expect(stderr).toMatch(new RegExp(`^created before it stopped: ffhung-001 \\(disk, domain started\\), ffhung-002 \\(disk\\); \`vvehicle fleet down --dir ${escape(dir)}\` removes what this up created$`, 'm'));
      const down = asUser(['fleet', 'down', '--dir', dir]);
      expect(await down.exited, down.stderr()).toBe(0);
      expect(await domains()).toEqual([]);
      expect(existsSync(join(dir, 'disks'))).toBe(false);
    }, 600_000);
  });
});
