import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/exec.js';
import { renderLayer } from '../../src/layer/render.js';
import { loadForLayer } from '../helpers/layer.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The rendered vvehicle-health script, run for real by the shells it meets: dash (Debian's /bin/sh, the
 * smoke fixture) and busybox ash (AGL). Only systemctl, ip and sleep are stand-ins, so the JSON it builds
 * without jq is proven with JSON.parse.
 */

interface Machine {
  /** successive answers of `systemctl is-system-running`; the last one repeats */
  states: string[];
  failed?: string[];
  ipOutput?: string;
  active?: Record<string, string>;
  connmanUnit?: boolean;
  release?: string | null;
  waitSec?: number;
  consoleActive?: string;
  /** what vvehicle-identity wrote to identity.json; null: it did not run */
  identity?: string | null;
}

const IDENTITY_OK = '{"state":"ok","vehicleId":"veh-001","hostname":"veh-001","supi":"imsi-208930000000001","missing":[],"invalid":[]}';

const SYSTEMCTL = `#!/bin/sh
d=$STUB_DIR
case "$1" in
  is-system-running)
    n=$(cat "$d/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$d/calls"
    line=$(sed -n "\${n}p" "$d/states"); [ -n "$line" ] || line=$(tail -n 1 "$d/states")
    echo "$line"; [ "$line" = running ] ;;
  list-units) cat "$d/failed" ;;
  is-active) if [ -f "$d/active/$2" ]; then s=$(cat "$d/active/$2"); else s=inactive; fi; echo "$s"; [ "$s" = active ] ;;
  cat) [ "$2" = connman.service ] && [ -f "$d/connman" ] ;;
  *) echo "unexpected systemctl $*" >&2; exit 99 ;;
esac
`;

function healthScript(): string {
  const { config, plan } = loadForLayer();
  const file = renderLayer(config, plan).find((f) => f.path === 'recipes-core/vvehicle-health/files/vvehicle-health');
  return String(file!.content);
}

async function runHealth(shell: string[], m: Machine): Promise<{ lines: string[]; calls: number }> {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  mkdirSync(join(dir, 'active'), { recursive: true });
  mkdirSync(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  };
  stub('systemctl', SYSTEMCTL);
  stub('ip', '#!/bin/sh\n[ "$*" = "-4 -o addr show scope global" ] || { echo "unexpected ip $*" >&2; exit 99; }\ncat "$STUB_DIR/ip"\n');
  stub('sleep', '#!/bin/sh\nexit 0\n');
  writeFileSync(join(dir, 'states'), m.states.join('\n') + '\n');
  writeFileSync(join(dir, 'failed'), (m.failed ?? []).map((u) => `${u} loaded failed failed Some unit\n`).join(''));
  writeFileSync(join(dir, 'ip'), m.ipOutput ?? '');
  for (const [unit, state] of Object.entries(m.active ?? {})) writeFileSync(join(dir, 'active', unit), `${state}\n`);
  if (m.connmanUnit) writeFileSync(join(dir, 'connman'), '');
  if (m.release !== null) writeFileSync(join(dir, 'vvehicle-release'), m.release ?? 'NAME=vvehicle-gateway\nVERSION=0.1.0\nBUILD_ID=0123456789ab\n');
  writeFileSync(join(dir, 'console-active'), `${m.consoleActive ?? 'ttyAMA0'}\n`);
  if (m.identity !== null) writeFileSync(join(dir, 'identity.json'), `${m.identity ?? IDENTITY_OK}\n`);
  writeFileSync(join(dir, 'vvehicle-health'), healthScript());

  const result = await run(shell[0]!, [...shell.slice(1), join(dir, 'vvehicle-health')], {
    cwd: dir, // a directory whose file names would match en* if the script globbed
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      STUB_DIR: dir,
      VVEHICLE_RELEASE_FILE: join(dir, 'vvehicle-release'),
      VVEHICLE_HEALTH_WAIT_SEC: String(m.waitSec ?? 300),
      VVEHICLE_SERIAL_TTY: join(dir, 'no-such-tty'),
      VVEHICLE_CONSOLE_ACTIVE: join(dir, 'console-active'),
      VVEHICLE_IDENTITY_FILE: join(dir, 'identity.json'),
    },
  });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const calls = Number(String(await run('cat', [join(dir, 'calls')]).then((r) => r.stdout)));
  return { lines: result.stdout.split('\n'), calls };
}

function parseHealth(lines: string[]): unknown {
  expect(lines).toHaveLength(1);
  const match = /^VVEHICLE-HEALTH (\{.*\})$/.exec(lines[0]!);
  expect(match, lines[0]).not.toBeNull();
  return JSON.parse(match![1]!);
}

const IP_OUTPUT = [
  '5: uesimtun0    inet 10.60.0.1/24 scope global uesimtun0\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86313sec preferred_lft 86313sec',
  '3: eth1    inet 192.168.7.2/24 scope global eth1\\       valid_lft forever preferred_lft forever',
].join('\n') + '\n';

const ALL_ACTIVE = { 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'active', 'nr-ue.service': 'active' };

// Debian's busybox runs its own applets before PATH (FEATURE_SH_STANDALONE), so under busybox the ip stand-in
// is bypassed and the host's real addresses come back: there, ipv4 is only checked to be null or an address.
const hostAddress = (v: unknown) => v === null || (typeof v === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(v));

for (const shell of [['dash'], ['busybox', 'sh']]) {
  const realIp = shell[0] === 'busybox';
  const ipv4 = (expected: string | null) => (realIp ? expect.toSatisfy(hostAddress) : expected);
  const line = (text: string) => (realIp ? text.replace(/"ipv4":(null|"[0-9.]+")/, '"ipv4":<host>') : text);
  describe(`vvehicle-health under ${shell.join(' ')}`, () => {
    it('prints the healthy line of the contract, byte for byte, skipping uesimtun0 for the uplink', async () => {
      const { lines } = await runHealth(shell, { states: ['running'], ipOutput: IP_OUTPUT, active: ALL_ACTIVE });
      expect(lines.map(line)).toEqual([
        line(`VVEHICLE-HEALTH {"version":"0.1.0","state":"running","failed":[],"ipv4":"10.0.2.15","units":{"node_exporter.socket":"active","otelcol-contrib.service":"active","nr-ue.service":"active"},"connman":false,"identity":${IDENTITY_OK}}`),
      ]);
      expect(parseHealth(lines)).toEqual({
        version: '0.1.0',
        state: 'running',
        failed: [],
        ipv4: ipv4('10.0.2.15'),
        units: ALL_ACTIVE,
        connman: false,
        identity: JSON.parse(IDENTITY_OK),
      });
    });

    it('reports a degraded vehicle as valid JSON: failed units (escaped), no uplink address, connman present', async () => {
      const { lines } = await runHealth(shell, {
        states: ['degraded'],
        failed: ['nr-ue.service', 'dev-disk-by\\x2dlabel-data.device', 'odd"name.service'],
        ipOutput: '5: uesimtun0    inet 10.60.0.1/24 scope global uesimtun0\\       valid_lft forever preferred_lft forever\n',
        active: { 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'activating', 'nr-ue.service': 'failed' },
        connmanUnit: true,
        release: 'NAME=vvehicle-gateway\nVERSION="2.0.0-rc.1"\nBUILD_ID=0123456789ab\n',
        identity: '{"state":"missing","vehicleId":null,"hostname":"vvehicle","supi":null,"missing":["vvehicle.ue.key"],"invalid":[]}',
      });
      expect(parseHealth(lines)).toEqual({
        version: '2.0.0-rc.1',
        state: 'degraded',
        failed: ['nr-ue.service', 'dev-disk-by\\x2dlabel-data.device', 'odd"name.service'],
        ipv4: ipv4(null),
        units: { 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'activating', 'nr-ue.service': 'failed' },
        connman: true,
        identity: { state: 'missing', vehicleId: null, hostname: 'vvehicle', supi: null, missing: ['vvehicle.ue.key'], invalid: [] },
      });
    });

    it('waits while the system is starting, then reports the final state', async () => {
      const { lines, calls } = await runHealth(shell, { states: ['initializing', 'starting', 'starting', 'running'], ipOutput: IP_OUTPUT, active: ALL_ACTIVE });
      expect(calls).toBe(4);
      expect(parseHealth(lines)).toMatchObject({ state: 'running' });
    });

    it('gives up waiting after the bound and still prints its one line', async () => {
      const { lines, calls } = await runHealth(shell, { states: ['starting'], waitSec: 6, release: null, consoleActive: 'hvc0 ttyAMA0', identity: null });
      expect(calls).toBe(4); // the first look plus one per 2 s step of 6 s
      expect(parseHealth(lines)).toEqual({
        version: null,
        state: 'starting',
        failed: [],
        ipv4: ipv4(null),
        units: { 'node_exporter.socket': 'inactive', 'otelcol-contrib.service': 'inactive', 'nr-ue.service': 'inactive' },
        connman: false,
        // no identity.json (vvehicle-identity did not run): "unknown", with the host name in effect
        identity: { state: 'unknown', vehicleId: null, hostname: hostname(), supi: null, missing: [], invalid: [] },
      });
    });
  });
}
