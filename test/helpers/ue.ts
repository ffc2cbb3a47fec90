import { ueProfile } from '../../src/identity/ue-profile.js';

/** The UE of the embedded default profile (profiles/gateway-qemuarm64.yml), as the manifest publishes it. */
export const DEFAULT_UE = ueProfile({
  mcc: '208',
  mnc: '93',
  amf: '8000',
  gnbSearchList: ['10.100.200.1'],
  sessions: [{ type: 'IPv4', apn: 'internet', sst: 1, sd: '010203' }],
});
