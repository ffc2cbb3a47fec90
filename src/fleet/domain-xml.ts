import { join } from 'node:path';
import { UserError } from '../errors.js';
import { SESSION_CREDENTIALS } from '../identity/ue-profile.js';
import type { Manifest } from '../image/manifest-schema.js';
import { renderTemplate } from '../templates.js';
import type { Fleet, FleetSecrets, Vehicle } from './fleet-file.js';

/** Where one vehicle's files live (all absolute). */
export interface VehiclePaths {
  disk: string;
  xml: string;
  consoleLog: string;
  credentialsDir: string;
}

export interface DomainInput {
  fleet: Fleet;
  vehicle: Vehicle;
  manifest: Manifest;
  kernel: string;
  initrd?: string;
  /** The published qcow2 for overlay storage; undefined for a full copy. */
  backingFile?: string;
  paths: VehiclePaths;
  domainType: 'kvm' | 'qemu';
  /** User-mode networking with these host (127.0.0.1) → guest TCP forwards, for the probes. */
  forwards?: { hostPort: number; guestPort: number }[];
}

/** The credential values one vehicle gets, by credential name (the contract in src/identity). */
export function credentialValues(fleet: Fleet, vehicle: Vehicle, secrets: FleetSecrets): Record<string, string> {
  const s = secrets.subscribers[vehicle.supi];
  if (!s) throw new Error(`no K/OPc for ${vehicle.supi} in the secrets file`);
  const values: Record<string, string> = {
    'vvehicle.vehicle-id': vehicle.id,
    'vvehicle.hostname': vehicle.hostname,
    'vvehicle.ue.supi': vehicle.supi,
    'vvehicle.ue.key': s.key,
    'vvehicle.ue.opc': s.opc,
    'vvehicle.ue.mcc': fleet.subscribers.mcc,
    'vvehicle.ue.mnc': fleet.subscribers.mnc,
  };
  if (fleet.subscribers.gnbSearchList.length) values['vvehicle.ue.gnb-search-list'] = fleet.subscribers.gnbSearchList.join(',');
  // one session: its DNN and slice, exactly as the core is provisioned (`fleet plan` refused any other
  // value on an image that does not read these, and manifestCredentials passes only what it reads)
  const [session, ...more] = fleet.subscribers.sessions;
  if (session && more.length === 0) {
    values[SESSION_CREDENTIALS.dnn] = session.dnn;
    values[SESSION_CREDENTIALS.sst] = String(session.slice.sst);
    if (session.slice.sd) values[SESSION_CREDENTIALS.sd] = session.slice.sd;
  }
  return values;
}

/** Secret credentials travel as files: the path each one is written to for a vehicle. */
export function credentialFile(paths: VehiclePaths, name: string): string {
  return join(paths.credentialsDir, name);
}

const XML_SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };
/** Paths and values land in XML attributes and text: escape them (the template renders raw). */
export function xml(text: string): string {
  return text.replace(/[&<>'"]/g, (c) => XML_SPECIAL[c]!);
}

/**
 * The credentials this vehicle passes, as the MANIFEST describes them (what the image accepts, which
 * are secret, what a valid value is): the fleet learns the contract from the image, not from our code.
 * A required credential we cannot supply, or a value the image would refuse, is a user error.
 */
export function manifestCredentials(manifest: Manifest, values: Record<string, string>): { name: string; secret: boolean; value: string }[] {
  const accepted = manifest.identity.credentials;
  const unknown = accepted.filter((c) => c.required && values[c.name] === undefined);
  if (unknown.length) throw new UserError(`the image requires credential(s) ${unknown.map((c) => c.name).join(', ')} that vvehicle fleet does not supply`, 'use a vvehicle version that knows them');
  return accepted
    .filter((c) => values[c.name] !== undefined)
    .map((c) => {
      const value = values[c.name]!;
      if (!new RegExp(`^(?:${c.pattern})$`).test(value)) throw new UserError(`credential ${c.name}${c.secret ? '' : ` "${value}"`} does not match the image's pattern ${c.pattern}`, 'plan the fleet with values the image accepts');
      return { name: c.name, secret: c.secret, value };
    });
}

export function renderDomainXml(input: DomainInput, secrets: FleetSecrets): string {
  const { fleet, vehicle, manifest, paths } = input;
  const prefix = manifest.identity.delivery.fwCfg.namePrefix;
  const credentials = manifestCredentials(manifest, credentialValues(fleet, vehicle, secrets)).map((c) => ({
    name: xml(`${prefix}${c.name}`),
    ...(c.secret ? { file: xml(credentialFile(paths, c.name)) } : { value: xml(c.value) }),
  }));
  const network =
    fleet.network.type === 'user'
      ? { type: 'user', sourceAttr: '', source: '' }
      : { type: fleet.network.type, sourceAttr: fleet.network.type === 'bridge' ? 'bridge' : 'network', source: xml(fleet.network.name) };
  // libvirt 9.0 forwards ports into a user-mode guest only with the passt backend, which Debian 12 builds
  // without ("Disable passt support" in its libvirt 9.0.0-4): the same slirp netdev smoke uses, with
  // hostfwd, goes to QEMU through libvirt's qemu namespace (the domain is then marked custom-argv)
  const forwards = fleet.network.type === 'user' ? (input.forwards ?? []) : [];
  const qemuNet = forwards.length
    ? {
        netdev: `user,id=vvnet0${forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('')}`,
        // QEMU places -device options in its own order: a fixed slot on the root bus that libvirt's
        // own PCIe root ports (which fill pcie.0 from slot 1 up) do not reach
        device: `virtio-net-pci,netdev=vvnet0,mac=${vehicle.mac},romfile=,bus=pcie.0,addr=0x1e`,
      }
    : undefined;
  const disk = manifest.artifacts.find((a) => a.role === 'disk')!;
  return renderTemplate('fleet/domain.xml.hbs', {
    fleet: fleet.name,
    id: vehicle.id,
    domain: vehicle.domain,
    imageName: manifest.name,
    imageVersion: manifest.version,
    buildId: xml(manifest.buildId),
    diskSha256: disk.sha256,
    domainType: input.domainType,
    kvm: input.domainType === 'kvm',
    memoryMiB: fleet.vehicle.memoryMiB,
    vcpus: fleet.vehicle.vcpus,
    cpuset: vehicle.cpuset.join(','),
    pins: vehicle.cpuset.map((core, vcpu) => ({ vcpu, core })),
    credentials,
    machine: xml(manifest.boot.machine),
    cpuModel: xml(manifest.boot.cpu),
    kernel: xml(input.kernel),
    initrd: input.initrd ? xml(input.initrd) : '',
    cmdline: xml(manifest.boot.cmdline),
    disk: xml(paths.disk),
    backingFile: input.backingFile ? xml(input.backingFile) : '',
    network,
    qemuNet: qemuNet ?? false,
    mac: vehicle.mac,
    consoleLog: xml(paths.consoleLog),
  });
}
