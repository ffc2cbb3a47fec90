import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Real checks on this host: git, podman (runc), qemu-img, qemu-system-aarch64 are installed by .ci/run. */
describe('vvehicle doctor', () => {
  it('checks every prerequisite and exits 0 only when none failed', async () => {
    const { code, stdout } = await runCli(['doctor', '--json', '--engine', 'podman']);
    const report = JSON.parse(stdout) as { ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] };
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'git', 'container engine', 'qemu-img', 'qemu-system-aarch64', 'kvm', 'disk', 'apparmor userns']);
    expect(code).toBe(report.ok ? 0 : 2);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.git!.status).toBe('ok');
    expect(byName['qemu-img']!.status).toBe('ok');
    expect(byName['qemu-system-aarch64']!.status).toBe('ok');
    // podman really ran a container here (runc via CONTAINERS_CONF, set up by .ci/run)
    expect(byName['container engine']).toMatchObject({ status: 'ok' });
    expect(byName['container engine']!.detail).toContain('ran a throwaway container');
    // x86-64 CI cannot use KVM for aarch64 guests: TCG, with the reason
    if (process.arch !== 'arm64') expect(byName.kvm!.detail).toContain('TCG');
    for (const c of report.checks.filter((c) => c.status === 'fail')) expect(c.fix).toBeTruthy();
  }, 60_000);

  it('a container engine that cannot run containers fails with a fix (docker has no daemon here)', async () => {
    const { code, stdout } = await runCli(['doctor', '--engine', 'docker']);
    expect(code).toBe(2);
    expect(stdout).toMatch(/fail container engine +docker: (not found|cannot run a container)/);
    expect(stdout).toContain('a build cannot run until the failures above are fixed');
  }, 60_000);
});
