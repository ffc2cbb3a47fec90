import { existsSync } from 'node:fs';
import { DaemonUnreachable } from '../faults.js';
import { ToolError } from '../errors.js';
import { isLocalUri } from '../fleet/remote.js';
import { domainCapabilities, libvirtVersion, virshVersion } from '../tools/virsh.js';
import type { CheckResult } from './checks.js';

const APT = (pkgs: string) => `sudo apt-get install ${pkgs}`;
/** What `vvehicle fleet` boots: aarch64 guests on QEMU's virt machine (the manifest's boot.machine). */
const ARCH = 'aarch64';
const MACHINE = 'virt';

/**
 * `doctor --fleet`: can `vvehicle fleet` drive libvirt at `uri`? virsh installed, the connection answers
 * (bounded, like every libvirt call), and the hypervisor there offers aarch64 guests as domain type kvm
 * (or qemu = TCG, which works but slowly). Each failure names the package or the command that fixes it.
 */
export async function libvirtChecks(uri: string): Promise<CheckResult[]> {
  const version = await virshVersion();
  if (!version) return [{ name: 'virsh', status: 'fail', detail: 'not found', fix: `${APT('libvirt-clients')} (Debian/Ubuntu; libvirt-client on Fedora)` }];
  const results: CheckResult[] = [{ name: 'virsh', status: 'ok', detail: version }];

  const local = isLocalUri(uri);
  const daemonFix = local
    ? existsSync('/usr/sbin/libvirtd') || existsSync('/usr/sbin/virtqemud')
      ? 'start it: sudo systemctl start libvirtd (without systemd: virtlogd -d && libvirtd -d)'
      : `${APT('libvirt-daemon-system libvirt-daemon-driver-qemu')} (it starts libvirtd; without systemd: libvirt-daemon, then virtlogd -d && libvirtd -d)`
    : 'on that host: sudo apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu and start libvirtd; check that ssh to it works without a prompt';
  try {
    results.push({ name: 'libvirt connection', status: 'ok', detail: `${uri}: ${await libvirtVersion(uri)}` });
  } catch (error) {
    if (error instanceof DaemonUnreachable) return [...results, { name: 'libvirt connection', status: 'fail', detail: error.message, fix: daemonFix }];
    if (error instanceof ToolError) return [...results, { name: 'libvirt connection', status: 'fail', detail: `${uri}: ${error.reason ?? error.message}`, fix: `check the URI (qemu:///system, qemu+ssh://user@host/system …); ${daemonFix}` }];
    throw error;
  }

  const kvm = await domainCapabilities(uri, ARCH, 'kvm', MACHINE);
  if (kvm.ok) {
    results.push({ name: 'libvirt aarch64 guests', status: 'ok', detail: `domain type kvm: ${kvm.emulator} (${kvm.machine})` });
    return results;
  }
  const tcg = await domainCapabilities(uri, ARCH, 'qemu', MACHINE);
  if (tcg.ok) {
    results.push({
      name: 'libvirt aarch64 guests',
      status: 'warn',
      detail: `domain type qemu (TCG emulation, slow): ${tcg.emulator} (${tcg.machine}); no kvm: ${kvm.reason}`,
      fix: 'KVM for aarch64 guests needs an arm64 host with /dev/kvm',
    });
  } else {
    results.push({
      name: 'libvirt aarch64 guests',
      status: 'fail',
      detail: `neither kvm nor qemu: ${tcg.reason}`,
      fix: `${local ? APT('qemu-system-arm') : 'on that host: sudo apt-get install qemu-system-arm'} (Debian/Ubuntu; qemu-system-aarch64 on Fedora), then restart libvirtd`,
    });
  }
  return results;
}
