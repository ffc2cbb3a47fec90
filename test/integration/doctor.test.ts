import { describe, expect, it } from 'vitest';
import { run } from '../../src/exec.js';
import { engineArgs } from '../../src/tools/engine.js';
import { runCli } from '../helpers/cli.js';
import { DOCKER_CLIENT } from '../helpers/docker-daemon.js';
import { engineFlags, ENGINES, testEngine } from '../helpers/engines.js';
import { pathWithOnly, processesMentioning, qemuWithoutRomsDir } from '../helpers/qemu-wrappers.js';
import { tempDir } from '../helpers/tmp.js';

type Report = { ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] };

/** doctor --json with PATH and TMPDIR swapped (TMPDIR private, so leftovers of ours can be counted). */
async function doctorWith(path: string) {
  const saved = { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR };
  const tmp = tempDir();
  Object.assign(process.env, { PATH: path, TMPDIR: tmp });
  try {
    const r = await runCli(['doctor', '--json', '--engine', 'podman']);
    const report = JSON.parse(r.stdout) as Report;
    return { code: r.code, report, qemuCheck: report.checks.find((c) => c.name === 'qemu smoke machine')!, leftovers: processesMentioning(tmp) };
  } finally {
    Object.assign(process.env, saved);
    if (saved.TMPDIR === undefined) delete process.env.TMPDIR;
  }
}

/** Real checks on this host: git, podman (runc), qemu-img, qemu-system-aarch64 are installed by .ci/run. */
describe('vvehicle doctor', () => {
  it('checks every prerequisite and exits 0 only when none failed', async () => {
    const { code, stdout } = await runCli(['doctor', '--json', '--engine', 'podman']);
    const report = JSON.parse(stdout) as { ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] };
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'git', 'container engine', 'qemu-img', 'qemu-system-aarch64', 'qemu smoke machine', 'kvm', 'disk', 'apparmor userns']);
    expect(code).toBe(report.ok ? 0 : 2);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.git!.status).toBe('ok');
    expect(byName['qemu-img']!.status).toBe('ok');
    expect(byName['qemu-system-aarch64']!.status).toBe('ok');
    // QEMU really started the smoke machine (-M/-cpu/disk/NIC from bootArgs), paused, and was stopped
    expect(byName['qemu smoke machine']).toMatchObject({ status: 'ok' });
    expect(byName['qemu smoke machine']!.detail).toMatch(/^started -M virt.* -cpu \S+ \((tcg|kvm)\) with the smoke disk and NIC, paused, then stopped$/);
    // podman really ran a container here (runc via CONTAINERS_CONF, set up by .ci/run)
    expect(byName['container engine']).toMatchObject({ status: 'ok' });
    expect(byName['container engine']!.detail).toContain('ran a throwaway container');
    // x86-64 CI cannot use KVM for aarch64 guests: TCG, with the reason
    if (process.arch !== 'arm64') expect(byName.kvm!.detail).toContain('TCG');
    for (const c of report.checks.filter((c) => c.status === 'fail')) expect(c.fix).toBeTruthy();
  }, 60_000);

  it('a container engine that cannot run containers fails with a fix (a docker socket no daemon listens on)', async () => {
    const socket = `unix://${tempDir()}/docker.sock`;
    const { code, stdout } = await runCli(['doctor', '--engine', 'docker', '--engine-client', DOCKER_CLIENT, `--engine-arg=--host`, `--engine-arg=${socket}`]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^fail container engine +docker: cannot run a container \(Cannot connect to the Docker daemon at unix:\/\/\S+\/docker\.sock\. Is the docker daemon running\?\)$/m);
    expect(stdout).toContain('fix: start the Docker daemon (sudo systemctl start docker), or point --engine-arg=--host at its socket; or use podman: sudo apt-get install podman runc');
    expect(stdout).toContain('a build cannot run until the failures above are fixed');
  }, 60_000);

  it('a QEMU that cannot start the smoke machine fails, with QEMU\'s own line and the ROM\'s package as the fix', async () => {
    const { code, qemuCheck, leftovers } = await doctorWith(`${qemuWithoutRomsDir(tempDir())}:${process.env.PATH}`);
    expect(code).toBe(2);
    expect(qemuCheck.status).toBe('fail');
    expect(qemuCheck.detail).toBe('QEMU could not start (exit 1): qemu-system-aarch64.real: -device virtio-net-pci,netdev=net0: failed to find romfile "efi-virtio.rom"');
    expect(qemuCheck.fix).toMatch(/^sudo apt-get install --no-install-recommends ipxe-qemu /);
    expect(leftovers).toEqual([]);
  }, 60_000);

  it('no QEMU on PATH: the smoke machine check names qemu-system-arm', async () => {
    const { code, qemuCheck } = await doctorWith(pathWithOnly(tempDir(), ['qemu-img', 'git']));
    expect(code).toBe(2);
    expect(qemuCheck).toMatchObject({ status: 'fail', fix: 'sudo apt-get install --no-install-recommends qemu-system-arm' });
    expect(qemuCheck.detail).toContain('qemu-system-aarch64 is not installed (not found on PATH)');
  }, 60_000);

  it('the smoke machine starts and is stopped: no QEMU left behind', async () => {
    const { qemuCheck, leftovers } = await doctorWith(process.env.PATH!);
    expect(qemuCheck.status).toBe('ok');
    expect(leftovers).toEqual([]);
  }, 60_000);
});

describe.each(ENGINES)('vvehicle doctor --engine %s', (engineName) => {
  it('proves the engine runs a container (a throwaway busybox root filesystem, no registry, nothing left behind)', { timeout: 180_000 }, async () => {
    const engine = await testEngine(engineName);
    // the engine's images are shared with anything else using the test daemon: compare before and after this run
    const probeImages = async () => {
      const images = await run(engine.program, engineArgs(engine, ['images', '--format', '{{.Repository}}:{{.Tag}}']));
      return images.stdout.split('\n').filter((r) => r.includes('vvehicle-probe')).sort();
    };
    const before = await probeImages();
    const { stdout } = await runCli(['doctor', '--json', ...engineFlags(engine)]);
    const report = JSON.parse(stdout) as { checks: { name: string; status: string; detail: string }[] };
    const check = report.checks.find((c) => c.name === 'container engine')!;
    expect(check.status).toBe('ok');
    expect(await probeImages()).toEqual(before);
    expect(check.detail).toMatch(engineName === 'docker' ? /^Docker version 20\.10\.\S+, build \w+; ran a throwaway container$/ : /^podman version \S+; ran a throwaway container$/);
  });
});
