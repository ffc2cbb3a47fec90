import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/exec.js';
import { credentialValueValid, IDENTITY_CREDENTIALS } from '../../src/identity/credentials.js';
import { renderLayer } from '../../src/layer/render.js';
import { loadForLayer } from '../helpers/layer.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The rendered vvehicle-identity script, run for real by dash (Debian's /bin/sh, the systemd fixture) and
 * busybox ash (AGL) on credential files as LoadCredential= hands them over. Only the run dir, the UE
 * template and the host name file are pointed elsewhere.
 */

const K = '8baf473f2f8fd09487cccbd7097c6862';
const OPC = '8e27b6af0e692e750f32667a3b14605d';
const FULL = {
  'vvehicle.vehicle-id': 'veh-007',
  'vvehicle.hostname': 'veh-007',
  'vvehicle.ue.supi': 'imsi-001010000000007',
  'vvehicle.ue.key': K,
  'vvehicle.ue.opc': OPC,
};

function layerFile(path: string, edit?: (c: ReturnType<typeof loadForLayer>['config']) => void): string {
  const { config, plan } = loadForLayer();
  edit?.(config);
  return String(renderLayer(config, plan).find((f) => f.path === path)!.content);
}

async function runIdentity(shell: string[], credentials: Record<string, string> | null, script = layerFile('recipes-core/vvehicle-identity/files/vvehicle-identity'), path = '/usr/bin:/bin') {
  const dir = tempDir();
  const creds = join(dir, 'creds');
  mkdirSync(creds);
  for (const [name, value] of Object.entries(credentials ?? {})) writeFileSync(join(creds, name), value);
  writeFileSync(join(dir, 'ue.yaml.in'), layerFile('recipes-connectivity/ueransim/files/ue.yaml.in'));
  writeFileSync(join(dir, 'hostname'), 'vvehicle\n');
  writeFileSync(join(dir, 'vvehicle-identity'), script);
  const runDir = join(dir, 'run');
  const result = await run(shell[0]!, [...shell.slice(1), join(dir, 'vvehicle-identity')], {
    cwd: dir,
    env: {
      PATH: path,
      ...(credentials ? { CREDENTIALS_DIRECTORY: creds } : {}),
      VVEHICLE_RUN_DIR: runDir,
      VVEHICLE_UE_TEMPLATE: join(dir, 'ue.yaml.in'),
      VVEHICLE_HOSTNAME_FILE: join(dir, 'hostname'),
    },
  });
  if (path === '/usr/bin:/bin') expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const read = (p: string) => (existsSync(join(runDir, p)) ? readFileSync(join(runDir, p), 'utf8') : null);
  return {
    stdout: result.stdout,
    identity: JSON.parse(read('identity.json')!),
    ueYaml: read('ueransim/ue.yaml'),
    ueYamlMode: existsSync(join(runDir, 'ueransim/ue.yaml')) ? statSync(join(runDir, 'ueransim/ue.yaml')).mode & 0o777 : null,
    ueDirMode: existsSync(join(runDir, 'ueransim')) ? statSync(join(runDir, 'ueransim')).mode & 0o777 : null,
    dir,
    otelEnv: read('otelcol-contrib.env')!,
    prom: read('node-exporter/vvehicle.prom')!,
    hostname: readFileSync(join(dir, 'hostname'), 'utf8'),
    everything: [read('identity.json'), read('otelcol-contrib.env'), read('node-exporter/vvehicle.prom'), result.stdout].join('\n'),
  };
}

for (const shell of [['dash'], ['busybox', 'sh']]) {
  describe(`vvehicle-identity under ${shell.join(' ')}`, () => {
    it('a complete identity: host name set, ue.yaml 0600 under /run, vehicle id for otelcol and Prometheus, no secret outside ue.yaml', async () => {
      const r = await runIdentity(shell, { ...FULL, 'vvehicle.hostname': 'veh-007\n', 'vvehicle.ue.gnb-search-list': '10.0.0.1,gnb.lab' });
      expect(r.identity).toEqual({ state: 'ok', vehicleId: 'veh-007', hostname: 'veh-007', supi: 'imsi-001010000000007', missing: [], invalid: [] });
      expect(r.hostname).toBe('veh-007\n');
      expect(r.ueYamlMode).toBe(0o600);
      expect(r.ueDirMode).toBe(0o700);
      expect(r.ueYaml).toMatch(/^supi: 'imsi-001010000000007'$/m);
      expect(r.ueYaml).toMatch(new RegExp(`^key: '${K}'$`, 'm'));
      expect(r.ueYaml).toMatch(new RegExp(`^op: '${OPC}'$`, 'm'));
      expect(r.ueYaml).toMatch(/^opType: 'OPC'$/m);
      // the image's home network unless a credential overrides it; the gNBs from the credential
      expect(r.ueYaml).toMatch(/^mcc: '208'$/m);
      expect(r.ueYaml).toMatch(/^gnbSearchList: \['10\.0\.0\.1', 'gnb\.lab'\]$/m);
      expect(r.ueYaml).not.toContain('@');
      // the rest of the template as it is, byte for byte (comments, blank lines, the final newline)
      const filled: Record<string, string> = { SUPI: 'imsi-001010000000007', MCC: '208', MNC: '93', KEY: K, OPC: OPC, GNB_SEARCH_LIST: "'10.0.0.1', 'gnb.lab'", DNN: 'internet', SLICE: '{sst: 1, sd: 0x010203}' };
      expect(r.ueYaml).toBe(layerFile('recipes-connectivity/ueransim/files/ue.yaml.in').replace(/@([A-Z_]+)@/g, (_, token: string) => filled[token]!));
      expect(r.otelEnv).toContain('\nOTEL_RESOURCE_ATTRIBUTES=vehicle.id=veh-007\n');
      expect(r.prom).toContain('vvehicle_vehicle_info{vehicle_id="veh-007",hostname="veh-007",supi="imsi-001010000000007",identity="ok"} 1\n');
      expect(r.everything).not.toContain(K);
      expect(r.everything).not.toContain(OPC);
    });

    it("the session's DNN and slice from credentials, the image's for what is not given; a leading zero of the SST dropped", async () => {
      const r = await runIdentity(shell, { ...FULL, 'vvehicle.ue.dnn': 'lab.dnn', 'vvehicle.ue.sst': '007' });
      expect(r.identity.state).toBe('ok');
      expect(r.ueYaml).toContain("  - type: 'IPv4'\n    apn: 'lab.dnn'\n    slice: {sst: 7, sd: 0x010203}\n");
      expect(r.ueYaml).toContain('configured-nssai:\n  - {sst: 7, sd: 0x010203}\n');
      expect(r.ueYaml).toContain('default-nssai:\n  - {sst: 7, sd: 0x010203}\n');
      const sd = await runIdentity(shell, { ...FULL, 'vvehicle.ue.sd': 'abcdef', 'vvehicle.ue.sst': '0' });
      expect(sd.ueYaml).toContain("apn: 'internet'\n    slice: {sst: 0, sd: 0xabcdef}\n");
      const bad = await runIdentity(shell, { ...FULL, 'vvehicle.ue.sst': '256', 'vvehicle.ue.mcc': '000', 'vvehicle.ue.sd': 'ABCDEF' });
      expect(bad.identity).toMatchObject({ state: 'invalid', invalid: ['vvehicle.ue.mcc', 'vvehicle.ue.sst', 'vvehicle.ue.sd'] });
      expect(bad.ueYaml).toBeNull();
    });

    it('no credentials at all: "missing", no ue.yaml (nr-ue is not started), host name and telemetry without id', async () => {
      const r = await runIdentity(shell, null);
      expect(r.identity).toEqual({
        state: 'missing', vehicleId: null, hostname: 'vvehicle', supi: null,
        missing: ['vvehicle.vehicle-id', 'vvehicle.hostname', 'vvehicle.ue.supi', 'vvehicle.ue.key', 'vvehicle.ue.opc'], invalid: [],
      });
      expect(r.ueYaml).toBeNull();
      expect(r.hostname).toBe('vvehicle\n');
      expect(r.otelEnv).not.toContain('OTEL_RESOURCE_ATTRIBUTES');
      expect(r.prom).toContain('vvehicle_vehicle_info{vehicle_id="",hostname="",supi="",identity="missing"} 1');
      expect(r.stdout).toContain('identity missing: vvehicle.vehicle-id vvehicle.hostname vvehicle.ue.supi vvehicle.ue.key vvehicle.ue.opc (nr-ue is not started)');
    });

    it('malformed values are "invalid" and never reach ue.yaml: a bad SUPI, a short K, a line break smuggled into the MCC', async () => {
      const r = await runIdentity(shell, { ...FULL, 'vvehicle.ue.supi': "imsi-00101'; rm -rf /", 'vvehicle.ue.key': K.slice(2), 'vvehicle.ue.mcc': "001\nkey: 'x'" });
      expect(r.identity).toEqual({
        state: 'invalid', vehicleId: 'veh-007', hostname: 'veh-007', supi: null, missing: [],
        invalid: ['vvehicle.ue.supi', 'vvehicle.ue.key', 'vvehicle.ue.mcc'],
      });
      expect(r.ueYaml).toBeNull();
      expect(r.everything).not.toContain('rm -rf');
      expect(r.everything).not.toContain(K.slice(2));
    });

    it('blank lines after a value are dropped like a final newline; a carriage return or a line break inside is "invalid"', async () => {
      const r = await runIdentity(shell, { ...FULL, 'vvehicle.vehicle-id': 'veh-007\n\n', 'vvehicle.hostname': 'veh-007\r', 'vvehicle.ue.mnc': '01\n\n02' });
      expect(r.identity).toEqual({ state: 'invalid', vehicleId: 'veh-007', hostname: 'vvehicle', supi: 'imsi-001010000000007', missing: [], invalid: ['vvehicle.hostname', 'vvehicle.ue.mnc'] });
      expect(r.ueYaml).toBeNull();
    });

    it('a value is data, never shell code: command substitutions in a credential run nothing and are "invalid"', async () => {
      const r = await runIdentity(shell, { ...FULL, 'vvehicle.vehicle-id': '$(touch pwned-1)', 'vvehicle.hostname': '`touch pwned-2`' });
      expect(r.identity).toMatchObject({ state: 'invalid', vehicleId: null, invalid: ['vvehicle.vehicle-id', 'vvehicle.hostname'] });
      expect(existsSync(join(r.dir, 'pwned-1')) || existsSync(join(r.dir, 'pwned-2'))).toBe(false);
    });

    it('a partial subscriber is "missing" and names what is absent; an old ue.yaml does not survive', async () => {
      const { 'vvehicle.ue.opc': _, ...partial } = FULL;
      const r = await runIdentity(shell, partial);
      expect(r.identity).toMatchObject({ state: 'missing', vehicleId: 'veh-007', supi: 'imsi-001010000000007', missing: ['vvehicle.ue.opc'] });
      expect(r.ueYaml).toBeNull();
    });
  });
}

describe('vvehicle-identity without grep', () => {
  it('checks every value itself: a complete identity is "ok" with only mkdir, mv and cat on PATH (dash)', async () => {
    const bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    for (const tool of ['mkdir', 'mv', 'cat']) symlinkSync(`/bin/${tool}`, join(bin, tool));
    const r = await runIdentity(['/bin/dash'], FULL, undefined, bin);
    expect(r.identity).toMatchObject({ state: 'ok', vehicleId: 'veh-007', supi: 'imsi-001010000000007', invalid: [] });
    expect(r.ueYamlMode).toBe(0o600);
  });
});

describe('the credential patterns', () => {
  it('mean the same to JavaScript and to grep -Ex (what fleet tools reading the manifest may check with)', async () => {
    const samples = ['veh-001', 'a', '-x', 'imsi-001010000000001', 'imsi-12345', K, K.toUpperCase(), K.slice(1), '001', '01', '1',
      '10.0.0.1,gnb.lab', '10.0.0.1,', 'fe80::1', 'host.example', 'host_name', 'x'.repeat(63), 'x'.repeat(64), 'a b', ''];
    for (const c of IDENTITY_CREDENTIALS) {
      for (const sample of samples) {
        const grep = await run('grep', ['-Eqx', '-e', c.pattern], { input: `${sample}\n`, allowFailure: true });
        expect(grep.exitCode === 0, `${c.name} ${JSON.stringify(sample)}`).toBe(credentialValueValid(c.name, sample));
      }
    }
  });

  for (const shell of [['dash'], ['busybox', 'sh']]) {
    it(`mean the same to JavaScript and to the image's shell check, under ${shell.join(' ')} (what the image checks at boot)`, async () => {
      // the script's own fits(), taken from the rendered script, run on every sample in one shell
      const script = layerFile('recipes-core/vvehicle-identity/files/vvehicle-identity');
      const fits = /^fits\(\) \{\n[\s\S]*?\n\}\n/m.exec(script)![0];
      const dir = tempDir();
      const cases: { name: string; sample: string }[] = [];
      for (const c of IDENTITY_CREDENTIALS) for (const sample of credentialSamples(c.name)) cases.push({ name: c.name, sample });
      // two lines a case: the credential's name, then the value as it is (no splitting, no trimming)
      writeFileSync(join(dir, 'samples'), cases.map((c) => `${c.name}\n${c.sample}\n`).join(''));
      const calls = IDENTITY_CREDENTIALS.map((c) => {
        const a = c.shell;
        const quoted = [a.prefix, String(a.min), String(a.max ?? ''), a.chars, a.first, a.last, a.separator ?? '', String(a.minValue ?? ''), String(a.maxValue ?? '')].map((x) => `'${x}'`).join(' ');
        return `        '${c.name}') fits "$value" ${quoted} ;;`;
      });
      writeFileSync(join(dir, 'check'), `set -f\n${fits}while IFS= read -r name && IFS= read -r value; do\n    case $name in\n${calls.join('\n')}\n        *) echo "unknown credential $name"; exit 2 ;;\n    esac && echo 1 || echo 0\ndone <"$1"\n`);
      const r = await run(shell[0]!, [...shell.slice(1), join(dir, 'check'), join(dir, 'samples')]);
      const verdicts = r.stdout.split('\n').filter((line) => line !== '');
      expect(verdicts).toHaveLength(cases.length);
      const disagree = cases.filter((c, i) => (verdicts[i] === '1') !== credentialValueValid(c.name, c.sample));
      expect(disagree).toEqual([]);
      // the samples reach both verdicts for every credential
      for (const c of IDENTITY_CREDENTIALS) expect(new Set(cases.map((x, i) => (x.name === c.name ? verdicts[i] : undefined)).filter(Boolean))).toEqual(new Set(['0', '1']));
    });
  }
});

/**
 * Values to try a credential's check on: the edge cases by hand, then 400 random ones (a fixed seed) built from
 * the characters it takes, the ones around them, and its own prefix and separator, at every length near its limits.
 */
function credentialSamples(name: string): string[] {
  const c = IDENTITY_CREDENTIALS.find((x) => x.name === name)!;
  const fixed = ['veh-001', 'a', '-x', 'x-', 'x.', '.x', 'imsi-001010000000001', 'imsi-12345', 'imsi-', 'IMSI-001010000000001', K, K.toUpperCase(), K.slice(1), `${K}0`,
    '001', '01', '1', '0001', '000', '0', '00', '099', '255', '256', '999', '010203', '01020G', 'internet', 'lab.dnn', 'dnn-', 'a..b', '10.0.0.1,gnb.lab', '10.0.0.1,', ',10.0.0.1', 'a,,b', 'a,b', 'fe80::1', 'host.example', 'host_name', 'x'.repeat(63), 'x'.repeat(64),
    'a b', ' a', 'a ', '', '*', '?', '[a]', 'a*', 'é', 'aé', '\\', "'", '"', '$x', '`x`', 'a\rb', 'ab\r'];
  let seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const alphabet = [...new Set([...c.shell.chars, ...c.shell.first, ...c.shell.last, ...'-_.:,/@ *?[]!GZgz9é'])];
  const longest = (c.shell.max ?? 40) + c.shell.prefix.length + 2;
  const generated = Array.from({ length: 400 }, () => {
    const length = random(longest + 1);
    const body = Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
    // most with the right prefix (else nearly every sample fails on it)
    return random(4) === 0 ? body : `${c.shell.prefix}${body.slice(c.shell.prefix.length)}`;
  });
  return [...fixed, ...generated];
}
