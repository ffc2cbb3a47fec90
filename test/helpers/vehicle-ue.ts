import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { run } from '../../src/exec.js';
import { FW_CFG_CREDENTIAL_PREFIX } from '../../src/identity/credentials.js';
import { layerFiles, renderedDefaultLayer } from './fixtures/rendered-layer.js';
import { TEST_URI } from './libvirt.js';
import { tempDir } from './tmp.js';

/**
 * What a vehicle's UE really asks for: the credentials its libvirt domain carries (`virsh dumpxml`, the
 * fw_cfg entries as libvirt holds them; a secret's value from the file the entry names), turned into
 * ue.yaml by the layer's own identity script and UE template, run by dash as the unit would at boot.
 */
export async function domainCredentials(domain: string, uri = TEST_URI): Promise<Record<string, string>> {
  const xml = (await run('virsh', ['-q', '-c', uri, 'dumpxml', domain])).stdout;
  const sysinfo = /<sysinfo type=['"]fwcfg['"]>([\s\S]*?)<\/sysinfo>/.exec(xml)?.[1] ?? '';
  const credentials: Record<string, string> = {};
  for (const m of sysinfo.matchAll(/<entry name=['"]([^'"]+)['"](?: file=['"]([^'"]+)['"])?\s*(?:\/>|>([^<]*)<\/entry>)/g)) {
    const [, name, file, value] = m;
    if (!name!.startsWith(FW_CFG_CREDENTIAL_PREFIX)) continue;
    credentials[name!.slice(FW_CFG_CREDENTIAL_PREFIX.length)] = file ? readFileSync(unescapeXml(file), 'utf8') : unescapeXml(value ?? '');
  }
  return credentials;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|apos|quot);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e]!);
}

/** The parts of nr-ue's config a 5G core must match. */
export interface UeYaml {
  supi: string;
  mcc: string;
  mnc: string;
  key: string;
  op: string;
  opType: string;
  amf: string;
  sessions: { type: string; apn: string; slice: { sst: number; sd?: number } }[];
  'configured-nssai': { sst: number; sd?: number }[];
  'default-nssai': { sst: number; sd?: number }[];
}

/** Runs the default layer's vvehicle-identity on these credentials; returns ue.yaml (text and parsed). */
export async function bootUeYaml(credentials: Record<string, string>): Promise<{ text: string; ue: UeYaml }> {
  const files = Object.fromEntries(
    layerFiles(renderedDefaultLayer(), ['recipes-core/vvehicle-identity/files/vvehicle-identity', 'recipes-connectivity/ueransim/files/ue.yaml.in']).map((f) => [f.path, String(f.content)]),
  );
  const dir = tempDir();
  const creds = join(dir, 'creds');
  mkdirSync(creds);
  for (const [name, value] of Object.entries(credentials)) writeFileSync(join(creds, name), value);
  writeFileSync(join(dir, 'ue.yaml.in'), files['recipes-connectivity/ueransim/files/ue.yaml.in']!);
  writeFileSync(join(dir, 'hostname'), 'vvehicle\n');
  writeFileSync(join(dir, 'vvehicle-identity'), files['recipes-core/vvehicle-identity/files/vvehicle-identity']!);
  const r = await run('dash', [join(dir, 'vvehicle-identity')], {
    env: { PATH: '/usr/bin:/bin', CREDENTIALS_DIRECTORY: creds, VVEHICLE_RUN_DIR: join(dir, 'run'), VVEHICLE_UE_TEMPLATE: join(dir, 'ue.yaml.in'), VVEHICLE_HOSTNAME_FILE: join(dir, 'hostname') },
  });
  const identity = JSON.parse(readFileSync(join(dir, 'run', 'identity.json'), 'utf8')) as { state: string };
  if (identity.state !== 'ok') throw new Error(`vvehicle-identity says ${JSON.stringify(identity)}: ${r.stdout}`);
  const text = readFileSync(join(dir, 'run', 'ueransim', 'ue.yaml'), 'utf8');
  return { text, ue: parseYaml(text) as UeYaml };
}
