import { chmodSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { readSecrets, SECRETS_FILE } from '../../src/fleet/fleet-file.js';
import { isLocalUri } from '../../src/fleet/up.js';
import { domainTypesIn, libvirtdFault } from '../../src/tools/virsh.js';
import { tempDir } from '../helpers/tmp.js';

// excerpt of `virsh -c qemu:///system capabilities` on this kind of x86-64 host (libvirt 9.0, no /dev/kvm)
const CAPABILITIES = `<capabilities>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
  </guest>

  <guest>
    <os_type>hvm</os_type>
    <arch name='aarch64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-aarch64</emulator>
      <machine maxCpus='512'>virt-7.2</machine>
      <machine canonical='virt-7.2' maxCpus='512'>virt</machine>
      <domain type='qemu'/>
    </arch>
    <features>
      <acpi default='on' toggle='yes'/>
    </features>
  </guest>
</capabilities>
`;

describe('virsh wrapper and fleet checks', () => {
  it('reads the domain types a host offers per guest architecture', () => {
    expect(domainTypesIn(CAPABILITIES, 'aarch64')).toEqual(['qemu']);
    expect(domainTypesIn(CAPABILITIES, 'x86_64')).toEqual(['qemu', 'kvm']);
    expect(domainTypesIn(CAPABILITIES, 'riscv64')).toEqual([]);
  });

  it('tells local libvirt URIs from remote ones', () => {
    expect(isLocalUri('qemu:///system')).toBe(true);
    expect(isLocalUri('qemu+unix:///session?socket=/tmp/x/libvirt-sock')).toBe(true);
    expect(isLocalUri('qemu+ssh://arm-server-2/system')).toBe(false);
  });

  it('names libvirtd for virsh\'s words of a daemon that is gone (recorded virsh 9.0 stderr), and only for those', () => {
    const uri = 'qemu:///system';
    const fault = (stderr: string) => libvirtdFault(uri, { stderr, stdout: '', timedOut: false, command: 'virsh -q -c qemu:///system list' })?.message;
    expect(fault("error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused"))
      .toBe("libvirtd at qemu:///system is not reachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused");
    expect(fault('error: End of file while reading data: Input/output error')).toBe('libvirtd at qemu:///system is not reachable: End of file while reading data: Input/output error');
    expect(fault("error: failed to get domain 'x'")).toBeUndefined();
    expect(libvirtdFault(uri, { stderr: '', stdout: '', timedOut: true, command: 'virsh -q -c qemu:///system start x' })?.message).toMatch(/^libvirtd at qemu:\/\/\/system is not reachable: `virsh -q -c qemu:\/\/\/system start x` did not answer within \d+ s$/);
  });

  it('refuses a secrets file others can read', () => {
    const dir = tempDir();
    writeFileSync(`${dir}/${SECRETS_FILE}`, '{"secretsVersion":1,"subscribers":{}}');
    chmodSync(`${dir}/${SECRETS_FILE}`, 0o644);
    expect(() => readSecrets(dir)).toThrow(UserError);
    chmodSync(`${dir}/${SECRETS_FILE}`, 0o600);
    expect(readSecrets(dir)).toEqual({ secretsVersion: 1, subscribers: {} });
  });
});
