import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_PACKAGES, makeDeployDir } from '../helpers/deploy-dir.js';
import { manifestValidator } from '../helpers/manifest-schema.js';
import { tempDir } from '../helpers/tmp.js';

async function converted(options: Parameters<typeof makeDeployDir>[1] = {}) {
  const root = tempDir();
  const d = makeDeployDir(join(root, 'build'), options);
  const out = join(root, 'out');
  const r = await runCli(['convert', '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return { root, out, work: join(root, 'work'), deploy: d };
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Flips one byte in place, as bit rot or a careless edit would. */
function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, offset);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, offset);
  closeSync(fd);
}

describe('vvehicle manifest (real convert output)', () => {
  it('writes a manifest that validates against schemas/manifest.schema.json and describes the files', async () => {
    const { out, work } = await converted();
    const { code, stdout, stderr } = await runCli(['manifest', '-w', work, '--from', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('not smoke-tested');
    const m = readManifest(out);
    expect(manifestValidator()(m)).toEqual([]);

    expect(m.schemaVersion).toBe(3);
    // what the image's UE asks the 5G core for, as the default profile sets it
    expect(m.ue).toMatchObject({ plmn: { mcc: '208', mnc: '93' }, amf: '8000', sessions: [{ type: 'IPv4', apn: 'internet', slice: { sst: 1, sd: '010203' } }] });
    // a fleet tool learns from the manifest alone what identity the image accepts, and how to pass it
    expect(m.identity.credentials.map((c) => [c.name, c.required, c.secret])).toEqual([
      ['vvehicle.vehicle-id', true, false],
      ['vvehicle.hostname', true, false],
      ['vvehicle.ue.supi', true, false],
      ['vvehicle.ue.key', true, true],
      ['vvehicle.ue.opc', true, true],
      ['vvehicle.ue.mcc', false, false],
      ['vvehicle.ue.mnc', false, false],
      ['vvehicle.ue.gnb-search-list', false, false],
      ['vvehicle.ue.dnn', false, false],
      ['vvehicle.ue.sst', false, false],
      ['vvehicle.ue.sd', false, false],
    ]);
    expect(m.identity.delivery.fwCfg.namePrefix).toBe('opt/io.systemd.credentials/');
    expect([m.name, m.version, m.machine, m.profile]).toEqual(['vvehicle-gateway', '0.1.0', 'qemuarm64', 'gateway-qemuarm64']);
    expect(m.agl).toEqual({ release: '21.0.2', codename: 'unagi', yoctoSeries: 'scarthgap' });
    const planned = JSON.parse((await runCli(['plan', '--json'])).stdout);
    expect(m.configDigest).toBe(planned.configDigest);
    expect(m.sources.map((s) => [s.name, s.commit])).toEqual(planned.repos.map((r: { name: string; commit: string }) => [r.name, r.commit]));
    expect(m.builder.imageId).toBeNull();

    const disk = m.artifacts.find((a) => a.role === 'disk')!;
    expect(disk).toMatchObject({ path: 'vvehicle-gateway-0.1.0.qcow2', format: 'qcow2', clusterSize: 65536, compat: '1.1', backingFormat: 'qcow2', virtualSize: 16 * 1024 * 1024 });
    for (const a of m.artifacts) expect(a.sha256, a.path).toBe(sha256(join(out, a.path)));
    expect(m.artifacts.map((a) => a.role).sort()).toEqual(['disk', 'kernel', 'license-manifest', 'package-list', 'qemuboot', 'sbom', 'testdata']);
    expect(m.buildId).toBe(`20261128093015-${disk.sha256.slice(0, 12)}`);

    expect(m.boot).toMatchObject({ method: 'direct-kernel', kernel: 'Image', disk: disk.path, cmdline: 'root=/dev/vda rw console=ttyAMA0,115200n8', machine: 'virt', cpu: 'cortex-a57', memoryMiB: 2048 });
    expect(m.packages.count).toBe(4);
    expect(m.packages.items).toContainEqual({ name: 'nr-ue', arch: 'cortexa57', version: '3.3.0' });
    expect(m.licenses.source).toBe('license.manifest');
    expect(m.licenses.flagged.map((f) => `${f.package}:${f.matched.join()}`)).toEqual(['libstdc++6:GPL-3.0-with-GCC-exception', 'nr-ue:AGPL-3.0-only']);
    expect(m.sbom).toEqual({ path: 'vvehicle-gateway-0.1.0.spdx.tar.zst', format: 'spdx-2.2-tar-zst' });
    expect(m.smoke).toBeNull();
  });

  it('says so when licences and SBOM are absent', async () => {
    const { out, work } = await converted({ withLicenses: false, withSbom: false });
    expect((await runCli(['manifest', '-w', work, '--from', out])).code).toBe(0);
    const m = readManifest(out);
    expect(m.licenses.source).toBeNull();
    expect(m.licenses.note).toContain('licences are not summarised');
    expect(m.sbom).toBeNull();
    expect(m.notes.join('\n')).toMatch(/SBOM: not found/);
    expect(manifestValidator()(m)).toEqual([]);
  });

  it('without license.manifest, summarises licences from buildhistory (debian-renamed packages too)', async () => {
    const packages = [...DEFAULT_PACKAGES, { name: 'libstdc++6', arch: 'cortexa57', version: '13.4.0' }, { name: 'ghost', arch: 'all', version: '1.0' }];
    const { out, work } = await converted({ withLicenses: false, buildhistory: true, packages });
    expect((await runCli(['manifest', '-w', work, '--from', out])).code).toBe(0);
    const m = readManifest(out);
    expect(manifestValidator()(m)).toEqual([]);
    expect(m.licenses.source).toBe('license.manifest');
    expect(m.licenses.packageCount).toBe(5);
    expect(m.licenses.flagged.map((f) => `${f.package}:${f.recipe}:${f.matched.join()}`)).toEqual(['libstdc++6:gcc-runtime:GPL-3.0-with-GCC-exception', 'nr-ue:ueransim:AGPL-3.0-only']);
    expect(m.notes.join('\n')).toMatch(/licence manifest: generated from buildhistory \(.*\/buildhistory\) for 5 of 6 packages; no record for ghost/);
    expect(m.artifacts.find((a) => a.role === 'license-manifest')?.sha256).toBe(sha256(join(out, 'license.manifest')));
  });

  it('records a smoke result for this disk and adopts its console log and JUnit', async () => {
    const { root, out, work } = await converted();
    writeFileSync(join(root, 'console.log'), 'Booting Linux on physical CPU 0x0\nvvehicle login: \n');
    writeFileSync(join(root, 'junit.xml'), '<testsuites><testsuite name="smoke" tests="1"><testcase name="kernel"/></testsuite></testsuites>\n');
    const smoke = {
      verdict: 'pass', accel: 'tcg', accelReason: 'host is x64', cpu: 'cortex-a57', machine: 'virt', memoryMiB: 512, cpus: 1,
      kernel: join(out, 'Image'), disk: join(out, 'vvehicle-gateway-0.1.0.qcow2'), cmdline: 'root=/dev/vda rw console=ttyAMA0',
      startedAt: '2026-11-28T10:00:00.000Z', durationMs: 3100,
      stages: [{ id: 'kernel', title: 'kernel started', status: 'pass', durationMs: 400 }, { id: 'login', title: 'login prompt', status: 'pass', durationMs: 3000 }],
      probes: [{ id: 'node-exporter-metrics', status: 'skipped', durationMs: 0, detail: 'disabled' }],
      consoleLog: join(root, 'console.log'), junit: join(root, 'junit.xml'),
    };
    writeFileSync(join(root, 'smoke.json'), JSON.stringify(smoke));
    const { code, stderr } = await runCli(['manifest', '-w', work, '--from', out, '--smoke', join(root, 'smoke.json'), '--builder-image-id', 'sha256:0123']);
    expect(code, stderr).toBe(0);
    const m = readManifest(out);
    expect(manifestValidator()(m)).toEqual([]);
    expect(m.smoke).toMatchObject({ verdict: 'pass', accel: 'tcg', durationMs: 3100 });
    expect(m.smoke?.stages.map((s) => s.id)).toEqual(['kernel', 'login']);
    expect(m.builder.imageId).toBe('sha256:0123');
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toContain('vvehicle login:');
    expect(m.artifacts.find((a) => a.role === 'smoke-junit')?.sha256).toBe(sha256(join(out, 'junit.xml')));

    // a verdict taken on another disk is refused and the manifest is left as it was
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    writeFileSync(join(root, 'other.json'), JSON.stringify({ ...smoke, disk: join(root, 'elsewhere.qcow2') }));
    const other = await runCli(['manifest', '-w', work, '--from', out, '--smoke', join(root, 'other.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('the smoke result is for');
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('refuses a directory convert did not write, or one for another version', async () => {
    const root = tempDir();
    const missing = await runCli(['manifest', '-w', join(root, 'work'), '--from', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('convert.json does not exist');
    const { out, work } = await converted();
    writeFileSync(join(root, 'vvehicle.yml'), 'extends: gateway-qemuarm64\nversion: 0.2.0\n');
    const other = await runCli(['manifest', '-c', join(root, 'vvehicle.yml'), '-w', work, '--from', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('holds vvehicle-gateway-0.1.0, but the configuration is for vvehicle-gateway-0.2.0');
  });
});

describe('vvehicle manifest verify', () => {
  it('passes on untouched files and exits 2 naming each artifact whose bytes changed', async () => {
    const { out, work } = await converted();
    expect((await runCli(['manifest', '-w', work, '--from', out])).code).toBe(0);
    const ok = await runCli(['manifest', 'verify', join(out, 'manifest.json')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('all 7 artifacts match');

    const qcow2 = join(out, 'vvehicle-gateway-0.1.0.qcow2');
    // a byte inside the guest data (past the qcow2 header and tables), size unchanged
    flipByte(qcow2, Number(execFileSync('stat', ['-c', '%s', qcow2], { encoding: 'utf8' })) - 100);
    flipByte(join(out, 'Image'), 10);
    const bad = await runCli(['manifest', 'verify', join(out, 'manifest.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/disk vvehicle-gateway-0\.1\.0\.qcow2: sha256 [0-9a-f]{64} does not match/);
    expect(bad.stderr).toMatch(/kernel Image: sha256 [0-9a-f]{64} does not match/);
    expect(bad.stderr).not.toContain('packages.txt');

    rmSync(join(out, 'packages.txt'));
    const gone = await runCli(['manifest', 'verify', join(out, 'manifest.json')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('package-list packages.txt: missing');
  });

  it('a file that is not a valid manifest is exit 2 with the problems listed', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ schemaVersion: 3, name: 'x' }));
    const r = await runCli(['manifest', 'verify', join(root, 'manifest.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a valid vvehicle manifest');
    expect(r.stderr).toContain('artifacts:');
    // an older schema says so, and how to get a current one
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ schemaVersion: 2, name: 'x' }));
    const old = await runCli(['manifest', 'verify', join(root, 'manifest.json')]);
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('is a schema 2 manifest; this vvehicle reads schema 3');
  });
});
