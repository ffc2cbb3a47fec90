/**
 * The per-vehicle identity an image accepts at boot, as systemd system credentials
 * (QEMU `-fw_cfg name=opt/io.systemd.credentials/<name>,…`, libvirt `<sysinfo type='fwcfg'>`, or
 * `systemd.set_credential=<name>:<value>` on the kernel command line for values that are not secret).
 *
 * This list is the contract between the image (the layer's identity unit reads these names), smoke
 * (passes a test identity), the manifest (lists what an image accepts) and `vvehicle fleet` (sets them
 * per vehicle). The golden image holds none of these values: it is the same for every vehicle.
 */
export interface IdentityCredential {
  /** The credential name, as systemd sees it ($CREDENTIALS_DIRECTORY/<name>). */
  name: string;
  /** Without it the vehicle boots, but nr-ue is not started and the health line says identity is missing. */
  required: boolean;
  /** Secrets go only through fw_cfg (never the kernel command line, which any process can read). */
  secret: boolean;
  description: string;
}

export const FW_CFG_CREDENTIAL_PREFIX = 'opt/io.systemd.credentials/';

export const IDENTITY_CREDENTIALS: readonly IdentityCredential[] = [
  { name: 'vvehicle.vehicle-id', required: true, secret: false, description: 'vehicle id: OpenTelemetry resource attribute vehicle.id and Prometheus label vehicle_id' },
  { name: 'vvehicle.hostname', required: true, secret: false, description: 'the vehicle host name (host.name in telemetry)' },
  { name: 'vvehicle.ue.supi', required: true, secret: false, description: 'the UE subscriber id, imsi- followed by 6 to 15 digits' },
  { name: 'vvehicle.ue.key', required: true, secret: true, description: 'subscriber key K, 32 hex digits' },
  { name: 'vvehicle.ue.opc', required: true, secret: true, description: 'operator key OPc, 32 hex digits' },
  { name: 'vvehicle.ue.mcc', required: false, secret: false, description: 'mobile country code (default: the image config)' },
  { name: 'vvehicle.ue.mnc', required: false, secret: false, description: 'mobile network code (default: the image config)' },
  { name: 'vvehicle.ue.gnb-search-list', required: false, secret: false, description: 'comma-separated gNB addresses (default: the image config)' },
];
