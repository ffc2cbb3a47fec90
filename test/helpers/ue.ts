import { planFleet } from '../../src/fleet/plan.js';
import { exportContext, type CsvSubscriber, type ExportContext } from '../../src/fleet/subscribers.js';
import type { FleetUe } from '../../src/fleet/ue-request.js';
import { ueProfile } from '../../src/identity/ue-profile.js';

/** The UE of the embedded default profile (profiles/gateway-qemuarm64.yml), as the manifest publishes it. */
export const DEFAULT_UE = ueProfile({
  mcc: '208',
  mnc: '93',
  amf: '8000',
  gnbSearchList: ['10.100.200.1'],
  sessions: [{ type: 'IPv4', apn: 'internet', sst: 1, sd: '010203' }],
});

/**
 * The context the subscriber exports are rendered from (src/fleet/subscribers.ts exportContext), for a
 * fleet whose UEs ask `ue` and whose subscribers are `rows` (K and OPc given, as a CSV import gives them).
 */
export function exportContextFor(ue: FleetUe, rows: CsvSubscriber[]): ExportContext {
  const { fleet, secrets } = planFleet({
    name: 'lab',
    count: rows.length,
    image: { manifest: '/pub/vvehicle-gateway/0.1.0/manifest.json', name: 'vvehicle-gateway', version: '0.1.0', buildId: 'b', diskSha256: 'b'.repeat(64) },
    ue,
    csv: { file: 'subscribers.csv', rows },
    memoryMiB: 512,
    vcpus: 1,
    cpuPinning: 'off',
    network: { type: 'user' },
    hosts: [{ uri: 'qemu:///system', cores: 2, reserved: [] }],
    newSecret: () => {
      throw new Error('every key comes from the rows');
    },
  });
  return exportContext(fleet, secrets, true);
}
