// Fleet measurements for `npm run bench` (scripts/bench.mjs):
//   · 100 overlays + 100 domain XMLs with the real fleet code (budget ≤ 2 s)
//   · the boot-storm curve on real libvirt: N = 1, 2, 4 vehicles of the busybox fixture, for qcow2 overlays on
//     one backing file and for full copies (`fleet up --storage overlay|copy`): wall time until every vehicle
//     is healthy, and each vehicle's time from `fleet up` to its healthy VVEHICLE-HEALTH line.
// A user runs the same on their own servers: `fleet plan --host <their URI>` then `fleet up` / `fleet status --wait`.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';

export async function benchFleetFiles({ root, scratch, report, cpuSeconds, timed }) {
  const { planFleet } = await import(join(root, 'dist/fleet/plan.js'));
  const { makeDisks } = await import(join(root, 'dist/fleet/storage.js'));
  const { renderDomainXml } = await import(join(root, 'dist/fleet/domain-xml.js'));
  const { vehiclePaths } = await import(join(root, 'dist/fleet/state.js'));
  const { manifestIdentity } = await import(join(root, 'dist/image/manifest.js'));
  const base = join(scratch, 'base.qcow2');
  timed('qemu-img', ['create', '-q', '-f', 'qcow2', base, '8G']);
  const manifest = {
    name: 'vvehicle-gateway', version: '0.1.0', buildId: 'bench', identity: manifestIdentity(),
    artifacts: [{ role: 'disk', path: 'base.qcow2', sha256: '0'.repeat(64) }],
    boot: { kernel: 'Image', disk: 'base.qcow2', cmdline: 'root=/dev/vda rw console=ttyAMA0,115200n8', machine: 'virt', cpu: 'cortex-a57', memoryMiB: 512, cpus: 1 },
  };
  const dir = join(scratch, 'fleet-files');
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const { fleet, secrets } = planFleet({
    name: 'bench', count: 100, image: { manifest: join(scratch, 'manifest.json'), name: manifest.name, version: manifest.version, buildId: 'bench', diskSha256: '0'.repeat(64) },
    mcc: '001', mnc: '01', gnbSearchList: [], dnn: 'internet', sst: 1, memoryMiB: 512, vcpus: 1, cpuPinning: 'strict', network: { type: 'user' },
    hosts: [{ uri: 'qemu:///system', cores: 128, reserved: [0, 1] }], newSecret: () => 'f'.repeat(32),
  });
  const paths = fleet.vehicles.map((v) => vehiclePaths(dir, v));
  await makeDisks(base, paths.map((p) => p.disk), 'overlay');
  mkdirSync(join(dir, 'domains'), { recursive: true });
  fleet.vehicles.forEach((vehicle, i) => {
    const xml = renderDomainXml({ fleet, vehicle, manifest, kernel: join(scratch, 'Image'), backingFile: base, paths: paths[i], domainType: 'qemu' }, secrets);
    writeFileSync(paths[i].xml, xml);
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  report('100 overlays + 100 domain XMLs', `${seconds.toFixed(2)} s`, 'budget ≤ 2 s', seconds <= 2,
    `CPU ${cpu.toFixed(2)} s; fleet code: plan, one qemu-img create -F qcow2 overlay copied 99× (reflink when possible), 100 domain XMLs rendered`);
}

function virshReachable() {
  return spawnSync('virsh', ['-q', '-c', 'qemu:///system', 'uri'], { encoding: 'utf8' }).status === 0;
}

/** Publishes the busybox fixture through the real pipeline (convert → manifest → publish), with its initramfs. */
function publishFixture(f, scratch, vv) {
  const deploy = join(scratch, 'storm/build/tmp/deploy/images/qemuarm64');
  mkdirSync(deploy, { recursive: true });
  chmodSync(scratch, 0o755); // libvirt's QEMU user must reach the published files
  const ext4 = join(deploy, 'vvehicle-image-qemuarm64.rootfs-20261128000000.ext4');
  copyFileSync(f.qcow2.replace(/rootfs\.qcow2$/, 'rootfs.ext4'), ext4);
  symlinkSync(basename(ext4), join(deploy, 'vvehicle-image-qemuarm64.rootfs.ext4'));
  copyFileSync(f.kernel, join(deploy, 'Image'));
  copyFileSync(f.initrd, join(deploy, 'initrd.cpio.gz'));
  const config = join(scratch, 'storm/vvehicle.yml');
  writeFileSync(config, 'extends: gateway-qemuarm64\nimage:\n  initramfs: initrd.cpio.gz\n');
  const common = ['-c', config, '-w', join(scratch, 'storm/work')];
  vv(['convert', ...common, '--deploy-dir', deploy, '--out', join(scratch, 'storm/out')]);
  vv(['manifest', ...common, '--from', join(scratch, 'storm/out')]);
  vv(['publish', ...common, '--from', join(scratch, 'storm/out'), '--to', join(scratch, 'storm/published')]);
  return join(scratch, 'storm/published/vvehicle-gateway/0.1.0/manifest.json');
}

/** Fleet dirs whose vehicles may be running: torn down however the bench ends. */
const running = new Set();

/**
 * SIGINT/SIGTERM/SIGHUP, or stdout closed under us (`npm run bench | head`: EPIPE), would end the bench
 * before a `finally` runs and leave the storm's domains running on the host's libvirtd: take them down
 * first, as `vvehicle fleet up` does on Ctrl-C.
 */
function tearDownOnExit(vv) {
  const tearDown = (code) => {
    for (const dir of running) {
      try {
        vv(['fleet', 'down', '--dir', dir]);
      } catch (error) {
        process.stderr.write(`bench: fleet down --dir ${dir} failed: ${error.message}\n`);
      }
    }
    process.exit(code);
  };
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) process.once(signal, () => tearDown(128 + number));
  process.stdout.on('error', (error) => tearDown(error.code === 'EPIPE' ? 141 : 1));
}

async function stormOnce(manifest, n, storage, scratch, vv, cli) {
  const dir = join(scratch, `storm/fleet-${storage}-${n}`);
  running.add(dir);
  vv(['fleet', 'plan', '--dir', dir, '--image', manifest, '--count', String(n), '--name', 'storm', '--host', `qemu:///system,cores=${cpus().length}`,
    '--cpu-pinning', 'off', '--memory', '512', '--vcpus', '1']);
  const t0 = performance.now();
  const healthyAt = new Map();
  try {
    vv(['fleet', 'up', '--dir', dir, '--storage', storage, '--parallel', String(n)]);
    const upSeconds = (performance.now() - t0) / 1000;
    while (healthyAt.size < n && performance.now() - t0 < 600_000) {
      const r = spawnSync(process.execPath, [cli, 'fleet', 'status', '--dir', dir, '--json'], { encoding: 'utf8' });
      const now = (performance.now() - t0) / 1000;
      for (const v of JSON.parse(r.stdout).vehicles) if (v.verdict === 'healthy' && !healthyAt.has(v.id)) healthyAt.set(v.id, now);
      if (healthyAt.size < n) await new Promise((res) => setTimeout(res, 500));
    }
    if (healthyAt.size < n) throw new Error(`${n - healthyAt.size} of ${n} vehicles not healthy within 600 s (${dir}/consoles)`);
    const per = [...healthyAt.values()];
    return { wall: Math.max(...per), per, upSeconds };
  } finally {
    vv(['fleet', 'down', '--dir', dir]);
    running.delete(dir);
  }
}

export async function benchBootStorm({ scratch, report, vv, cli, fixture }) {
  if (!fixture) {
    report('boot storm', 'skipped', 'curve', undefined, 'no busybox fixture in the test cache (run test/integration/fleet.test.ts once)');
    return;
  }
  if (!virshReachable()) {
    report('boot storm', 'skipped', 'curve', undefined, 'libvirt is not reachable at qemu:///system (as root: virtlogd -d; libvirtd -d)');
    return;
  }
  tearDownOnExit(vv);
  const manifest = publishFixture(fixture, scratch, vv);
  for (const storage of ['overlay', 'copy']) {
    for (const n of [1, 2, 4]) {
      const r = await stormOnce(manifest, n, storage, scratch, vv, cli);
      const mean = r.per.reduce((a, b) => a + b, 0) / r.per.length;
      report(`boot storm ${storage} N=${n}`, `${r.wall.toFixed(1)} s`, 'curve', undefined,
        `all healthy after ${r.wall.toFixed(1)} s (fleet up ${r.upSeconds.toFixed(1)} s); per vehicle mean ${mean.toFixed(1)} s, max ${Math.max(...r.per).toFixed(1)} s; TCG, 512 MiB, 1 vCPU`);
    }
  }
}
