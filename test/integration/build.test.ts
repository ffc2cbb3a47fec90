import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/exec.js';
import { runCli } from '../helpers/cli.js';
import { withEnv } from '../helpers/build-project.js';
import { DOCKER_CLIENT } from '../helpers/docker-daemon.js';
import { ensureContainersConf } from '../helpers/stub-builder.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/** Each bad input ends with exit 2, one message (and a hint), and nothing written. */
async function refused(argv: string[], work: string): Promise<string> {
  const r = await runCli(argv);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error: '))).toHaveLength(1);
  expect(existsSync(work) ? listTree(work) : []).toEqual([]);
  return r.stderr;
}

describe('build and check refuse bad input before writing anything', () => {
  it('unknown stage id → the list of valid ids', async () => {
    const work = join(tempDir(), 'work');
    const stderr = await refused(['build', '-w', work, '--skip', 'compile'], work);
    expect(stderr).toBe('error: --skip compile: unknown stage id\nhint: valid stage ids: layer, sources, configure, builder, bitbake, convert, smoke, manifest, publish\n');
    expect(await refused(['build', '-w', work, '--until', 'deploy'], work)).toContain('error: --until deploy: unknown stage id');
  });

  it('a --debootstrap-mirror that is not a mirror URL', async () => {
    const work = join(tempDir(), 'work');
    const stderr = await refused(['builder', '-w', work, '--debootstrap-mirror', 'deb.debian.org'], work);
    expect(stderr).toBe('error: --debootstrap-mirror deb.debian.org: must be an http(s):// or file:// Debian mirror URL\nhint: e.g. --debootstrap-mirror http://deb.debian.org/debian\n');
  });

  it('engine missing from PATH', async () => {
    const work = join(tempDir(), 'work');
    const bin = tempDir();
    symlinkSync('/usr/bin/git', join(bin, 'git'));
    const stderr = await withEnv({ PATH: bin }, () => refused(['check', '-w', work, '--engine', 'podman'], work));
    expect(stderr).toContain('error: container engine podman is not installed (not found on PATH)\nhint: install podman');
    const docker = await withEnv({ PATH: bin }, () => refused(['check', '-w', work, '--engine', 'docker'], work));
    expect(docker).toContain('error: container engine docker is not installed (not found on PATH)\nhint: install podman');
    const client = await refused(['check', '-w', work, '--engine', 'docker', '--engine-client', '/nonexistent/docker'], work);
    expect(client).toContain('error: container engine client /nonexistent/docker does not run (`/nonexistent/docker --version` failed)\n');
  });

  it('engine present but unable to run a container', async () => {
    ensureContainersConf();
    const work = join(tempDir(), 'work');
    const stderr = await refused(['check', '-w', work, '--engine', 'podman', '--engine-arg=--runtime', '--engine-arg=/nonexistent/runtime'], work);
    expect(stderr).toMatch(/^error: podman cannot run containers: .+\nhint: /);
    const socket = `unix://${tempDir()}/docker.sock`;
    const docker = await refused(['check', '-w', work, '--engine', 'docker', '--engine-client', DOCKER_CLIENT, '--engine-arg=--host', `--engine-arg=${socket}`], work);
    expect(docker).toBe(`error: the Docker daemon is not reachable: Cannot connect to the Docker daemon at ${socket}. Is the docker daemon running?\nhint: start it (\`sudo systemctl start docker\`), or point DOCKER_HOST at a running one, or use --engine podman\n`);
  });

  it('read-only work directory', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ro'));
    const ro = join(dir, 'ro');
    await run('mount', ['--bind', ro, ro]);
    try {
      await run('mount', ['-o', 'remount,bind,ro', ro]);
      const work = join(ro, 'work');
      const stderr = await refused(['build', '-w', work, '--only', 'layer,configure'], work);
      expect(stderr).toBe(`error: work directory ${work} is not writable (read-only file system)\nhint: pass -w DIR on a writable disk\n`);
    } finally {
      await run('umount', [ro]);
    }
  });

  it('free disk space below the threshold', async () => {
    const work = join(tempDir(), 'work');
    const stderr = await refused(['build', '-w', work, '--only', 'layer', '--min-free-gib', '1000000'], work);
    expect(stderr).toMatch(/^error: only [\d.]+ GiB free at \/.*; this needs at least 1000000 GiB\nhint: free space/);
    expect(await refused(['build', '-w', work, '--min-free-gib', 'lots'], work)).toContain('error: --min-free-gib lots: expected a number of GiB');
  });
});
