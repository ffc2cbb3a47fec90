import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ensureLibvirt, TEST_URI } from '../helpers/libvirt.js';
import { pathWithOnly } from '../helpers/qemu-wrappers.js';
import { tempDir } from '../helpers/tmp.js';

type Report = { ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] };

async function doctor(args: string[], path?: string) {
  const saved = process.env.PATH;
  if (path) process.env.PATH = path;
  try {
    const r = await runCli(['doctor', '--json', ...args]);
    return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
  } finally {
    process.env.PATH = saved;
  }
}

const byName = (report: Report) => Object.fromEntries(report.checks.map((c) => [c.name, c]));

/** `doctor --fleet` against the real libvirtd the fleet tests use, and against libvirt that is not there. */
describe('vvehicle doctor --fleet', () => {
  beforeAll(() => ensureLibvirt(), 120_000);

  it('checks qemu-img, virsh, the connection and aarch64 guests on the real libvirtd; no build checks', async () => {
    const { code, report } = await doctor(['--fleet']);
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'qemu-img', 'virsh', 'libvirt connection', 'libvirt aarch64 guests']);
    const c = byName(report);
    expect(c.virsh!).toMatchObject({ status: 'ok' });
    expect(c.virsh!.detail).toMatch(/^\d+\.\d+\.\d+$/);
    expect(c['libvirt connection']!.status).toBe('ok');
    expect(c['libvirt connection']!.detail).toMatch(new RegExp(`^${TEST_URI}: libvirt \\d+\\.\\d+\\.\\d+`));
    // x86-64 here: aarch64 guests under TCG (domain type qemu), which works, slowly; kvm only on arm64 hosts
    const guests = c['libvirt aarch64 guests']!;
    if (process.arch === 'arm64') expect(guests.status).toBe('ok');
    else {
      expect(guests.status).toBe('warn');
      expect(guests.detail).toMatch(/^domain type qemu \(TCG emulation, slow\): \/usr\/bin\/qemu-system-aarch64 \(virt-[\d.]+\); no kvm: /);
    }
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  }, 120_000);

  it('a libvirtd that is not there: the connection fails naming libvirtd, with how to start it; exit 2', async () => {
    const socket = `${tempDir()}/libvirt-sock`;
    const uri = `qemu+unix:///system?socket=${socket}`;
    const { code, report } = await doctor(['--connect', uri]);
    expect(code).toBe(2);
    const c = byName(report)['libvirt connection']!;
    expect(c.status).toBe('fail');
    expect(c.detail).toBe(`libvirtd at ${uri} is not reachable: Failed to connect socket to '${socket}': No such file or directory`);
    expect(c.fix).toBe('start it: sudo systemctl start libvirtd (without systemd: virtlogd -d && libvirtd -d)');
    expect(report.checks.map((x) => x.name)).not.toContain('libvirt aarch64 guests');
    const text = await runCli(['doctor', '--connect', uri]);
    expect(text.stdout).toContain(`a fleet cannot run on ${uri} until the failures above are fixed`);
  }, 60_000);

  it('an unknown URI scheme fails with libvirt\'s reason', async () => {
    const { code, report } = await doctor(['--connect', 'bogus:///nowhere']);
    expect(code).toBe(2);
    const c = byName(report)['libvirt connection']!;
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/^bogus:\/\/\/nowhere: .*no connection driver available/);
  }, 60_000);

  it('virsh missing: names the package that brings it', async () => {
    const bin = pathWithOnly(tempDir(), ['qemu-img']);
    const { code, report } = await doctor(['--fleet'], bin);
    expect(code).toBe(2);
    expect(byName(report).virsh).toEqual({ name: 'virsh', status: 'fail', detail: 'not found', fix: 'sudo apt-get install libvirt-clients (Debian/Ubuntu; libvirt-client on Fedora)' });
  }, 60_000);
});
