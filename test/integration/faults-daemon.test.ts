import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors.js';
import { run } from '../../src/exec.js';
import { DaemonUnreachable, machineFault } from '../../src/faults.js';
import { cliJs, ensureBuilt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { tempDir } from '../helpers/tmp.js';

const env = { CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/vvehicle-ci/containers.conf' };

/** Debian's client (the one install-host-deps.sh installs): unlike newer ones, its --version asks the daemon too. */
const DEBIAN_DOCKER = '/usr/bin/docker';

/** A socket that accepts connections and never answers: a hung daemon. */
let hung: { server: Server; sockets: Socket[] } | undefined;
afterEach(async () => {
  if (!hung) return;
  for (const s of hung.sockets) s.destroy();
  await new Promise((r) => hung!.server.close(r));
  hung = undefined;
});

describe('a dead or hung container daemon', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('podman pointed at a missing API socket: one message naming the service and the fix, exit 2, before any work', () => {
    const root = tempDir();
    const socket = join(root, 'podman.sock');
    const r = vvehicle(['build', '-w', 'work', '--only', 'builder', '--engine', 'podman', '--min-free-gib', '0'], root, { ...env, CONTAINER_HOST: `unix://${socket}` });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: the Podman API service is not reachable: .*dial unix ${socket}: connect: no such file or directory`, 'm'));
    expect(r.stderr).toMatch(/^hint: start it \(`systemctl --user start podman\.socket`, or `podman system service`\), or unset CONTAINER_HOST/m);
    expect(r.stderr).not.toContain('internal error');
  }, 120_000);

  it('the docker client pointed at a missing socket: names the Docker daemon and how to start it', () => {
    const root = tempDir();
    const socket = join(root, 'docker.sock');
    const r = vvehicle(['build', '-w', 'work', '--only', 'builder', '--engine', 'docker', '--engine-client', DEBIAN_DOCKER, '--min-free-gib', '0'], root, { DOCKER_HOST: `unix://${socket}` });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: the Docker daemon is not reachable: .*Cannot connect to the Docker daemon at unix://${socket}`, 'm'));
    expect(r.stderr).toMatch(/^hint: start it \(`sudo systemctl start docker`\), or point DOCKER_HOST at a running one, or use --engine podman$/m);
  }, 120_000);

  it('a daemon that accepts and never answers: a bounded wait, then the same kind of message (no hang)', async () => {
    const root = tempDir();
    const socket = join(root, 'hung.sock');
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(socket, r));
    hung = { server, sockets };
    // the CLI runs in a child process: this process keeps serving (not answering) the socket meanwhile
    const child = spawn(process.execPath, [cliJs, 'build', '-w', 'work', '--only', 'builder', '--engine', 'docker', '--engine-client', DEBIAN_DOCKER, '--min-free-gib', '0'], {
      cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true', DOCKER_HOST: `unix://${socket}` },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/^error: the Docker daemon is not reachable: `docker version` did not answer within 30 s$/m);
    expect(sockets.length).toBeGreaterThan(0); // it really connected and waited
  }, 120_000);

  it('a daemon lost mid-run: the engine call\'s ToolError becomes the same message where errors are reported', async () => {
    const socket = join(tempDir(), 'gone.sock');
    const error = await run('podman', ['ps'], { env: { ...process.env, ...env, CONTAINER_HOST: `unix://${socket}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    const fault = machineFault(error);
    expect(fault).toBeInstanceOf(DaemonUnreachable);
    expect(fault!.message).toContain('the Podman API service is not reachable');
  }, 60_000);
});
