import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDomainXml, type DomainInput } from '../../src/fleet/domain-xml.js';
import { planFleet } from '../../src/fleet/plan.js';
import { vehiclePaths } from '../../src/fleet/state.js';
import { manifestIdentity } from '../../src/image/manifest.js';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { DEFAULT_UE } from '../helpers/ue.js';
import { tempDir } from '../helpers/tmp.js';

// only what the domain template reads; the full manifest is checked by the manifest tests
const manifest = {
  name: 'vvehicle-gateway',
  version: '0.1.0',
  buildId: '20261128093015-0123456789ab',
  artifacts: [{ role: 'disk', path: 'vvehicle-gateway-0.1.0.qcow2', sha256: 'b'.repeat(64) }],
  identity: manifestIdentity(DEFAULT_UE),
  ue: DEFAULT_UE,
  boot: { method: 'direct-kernel', kernel: 'Image', initrd: 'initrd.cpio.gz', disk: 'vvehicle-gateway-0.1.0.qcow2', cmdline: 'root=/dev/vda rw console=ttyAMA0,115200n8', machine: 'virt', cpu: 'cortex-a57', memoryMiB: 2048, cpus: 2 },
} as unknown as Manifest;

const { fleet, secrets } = planFleet({
  name: 'lab',
  count: 2,
  image: { manifest: '/pub/vvehicle-gateway/0.1.0/manifest.json', name: 'vvehicle-gateway', version: '0.1.0', buildId: 'b', diskSha256: 'b'.repeat(64) },
  ue: { mcc: '001', mnc: '01', gnbSearchList: ['10.0.0.1', 'gnb.lab'], amf: '8000', sessions: [{ type: 'IPv4', dnn: 'internet', slice: { sst: 1 } }] },
  memoryMiB: 512,
  vcpus: 2,
  cpuPinning: 'strict',
  network: { type: 'bridge', name: 'br0' },
  hosts: [{ uri: 'qemu:///system', cores: 8, reserved: [0, 1] }],
  newSecret: () => 'f'.repeat(32),
});

function render(over: Partial<DomainInput> = {}): string {
  const vehicle = fleet.vehicles[1]!;
  return renderDomainXml(
    {
      fleet,
      vehicle,
      manifest,
      kernel: '/pub/vvehicle-gateway/0.1.0/Image',
      initrd: '/pub/vvehicle-gateway/0.1.0/initrd.cpio.gz',
      backingFile: '/pub/vvehicle-gateway/0.1.0/vvehicle-gateway-0.1.0.qcow2',
      paths: vehiclePaths('/srv/fleet', vehicle),
      domainType: 'qemu',
      ...over,
    },
    secrets,
  );
}

/** virt-xml-validate (libvirt-clients) checks against libvirt's own RelaxNG schema. */
function validate(xml: string): string {
  const file = join(tempDir(), 'domain.xml');
  writeFileSync(file, xml);
  const r = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
  if (r.error) throw r.error; // not installed: a failure, never a skip
  return `${r.status} ${r.stdout}${r.stderr}`;
}

describe('the fleet domain XML', () => {
  it('is valid libvirt domain XML, for overlay and copy storage, TCG and KVM', () => {
    expect(validate(render())).toMatch(/^0 .*validates/);
    expect(validate(render({ backingFile: undefined, domainType: 'kvm' }))).toMatch(/^0 .*validates/);
    // the check can fail: a domain without <name> does not validate
    expect(validate(render().replace(/<name>.*<\/name>/, ''))).not.toMatch(/^0 /);
  });

  it('user-mode networking with probe forwards: the slirp netdev with hostfwd on 127.0.0.1 in the qemu namespace, still valid', () => {
    const userFleet = { ...fleet, network: { type: 'user' as const } };
    const xml = render({ fleet: userFleet, forwards: [{ hostPort: 41001, guestPort: 9100 }, { hostPort: 41002, guestPort: 13133 }] });
    expect(validate(xml)).toMatch(/^0 .*validates/);
    expect(xml).toContain("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>");
    expect(xml).toContain("<qemu:arg value='user,id=vvnet0,hostfwd=tcp:127.0.0.1:41001-:9100,hostfwd=tcp:127.0.0.1:41002-:13133'/>");
    expect(xml).toContain(`<qemu:arg value='virtio-net-pci,netdev=vvnet0,mac=${fleet.vehicles[1]!.mac},romfile=,bus=pcie.0,addr=0x1e'/>`);
    expect(xml).not.toContain('<interface');
    // without forwards (a remote host), libvirt's own user interface, no qemu namespace
    const plain = render({ fleet: userFleet });
    expect(plain).toContain("<interface type='user'>");
    expect(plain).not.toContain('qemu:commandline');
    // forwards mean nothing on a bridge: the guest is reached at its own address
    expect(render({ forwards: [{ hostPort: 41001, guestPort: 9100 }] })).not.toContain('qemu:commandline');
  });

  it('boots the manifest directly: kernel, initrd, cmdline, machine, cpu model', () => {
    const xml = render();
    expect(xml).toContain("<type arch='aarch64' machine='virt'>hvm</type>");
    expect(xml).toContain('<kernel>/pub/vvehicle-gateway/0.1.0/Image</kernel>');
    expect(xml).toContain('<initrd>/pub/vvehicle-gateway/0.1.0/initrd.cpio.gz</initrd>');
    expect(xml).toContain('<cmdline>root=/dev/vda rw console=ttyAMA0,115200n8</cmdline>');
    expect(xml).toContain("<model fallback='forbid'>cortex-a57</model>");
    expect(render({ domainType: 'kvm' })).toContain("<cpu mode='host-passthrough'/>");
  });

  it('sets identity as fw_cfg credentials, secrets only as files', () => {
    const xml = render();
    const v = fleet.vehicles[1]!;
    expect(xml).toContain(`<entry name='opt/io.systemd.credentials/vvehicle.vehicle-id'>${v.id}</entry>`);
    expect(xml).toContain(`<entry name='opt/io.systemd.credentials/vvehicle.ue.supi'>${v.supi}</entry>`);
    expect(xml).toContain(`<entry name='opt/io.systemd.credentials/vvehicle.hostname'>${v.hostname}</entry>`);
    expect(xml).toContain("<entry name='opt/io.systemd.credentials/vvehicle.ue.gnb-search-list'>10.0.0.1,gnb.lab</entry>");
    expect(xml).toContain(`<entry name='opt/io.systemd.credentials/vvehicle.ue.key' file='/srv/fleet/credentials/${v.id}/vvehicle.ue.key'/>`);
    expect(xml).not.toContain('f'.repeat(32));
  });

  it('puts the overlay on the base without relabelling the base, pins vCPUs 1:1, serial to a file', () => {
    const xml = render();
    expect(xml).toContain("<source file='/srv/fleet/disks/lab-002.qcow2'/>");
    expect(xml).toMatch(/<backingStore type='file'>\s*<format type='qcow2'\/>\s*<source file='\/pub\/vvehicle-gateway\/0.1.0\/vvehicle-gateway-0.1.0.qcow2'>\s*<seclabel model='dac' relabel='no'\/>/);
    expect(render({ backingFile: undefined })).not.toContain('backingStore');
    expect(xml).toContain("<vcpupin vcpu='0' cpuset='4'/>");
    expect(xml).toContain("<vcpupin vcpu='1' cpuset='5'/>");
    expect(xml).toContain("<serial type='file'>\n      <source path='/srv/fleet/consoles/lab-002.log'/>");
    expect(xml).toContain("<source bridge='br0'/>");
    expect(xml).toContain("<rom enabled='no'/>");
  });

  it("passes what the manifest says the image accepts, and refuses values it would reject", () => {
    const narrower = { ...manifest, identity: { ...manifest.identity, credentials: manifest.identity.credentials.filter((c) => c.name !== 'vvehicle.ue.gnb-search-list') } };
    expect(render({ manifest: narrower })).not.toContain('gnb-search-list');
    const strict = { ...manifest, identity: { ...manifest.identity, credentials: manifest.identity.credentials.map((c) => (c.name === 'vvehicle.hostname' ? { ...c, pattern: '[0-9]+' } : c)) } };
    expect(() => render({ manifest: strict })).toThrow(/vvehicle.hostname "lab-002" does not match the image's pattern/);
    const more = { ...manifest, identity: { ...manifest.identity, credentials: [...manifest.identity.credentials, { name: 'vvehicle.new', required: true, secret: false, pattern: '.*', description: '' }] } };
    expect(() => render({ manifest: more })).toThrow(/requires credential\(s\) vvehicle.new/);
  });

  it('escapes paths for XML', () => {
    const xml = render({ kernel: "/pub/a&b/Image" });
    expect(xml).toContain('<kernel>/pub/a&amp;b/Image</kernel>');
  });
});
