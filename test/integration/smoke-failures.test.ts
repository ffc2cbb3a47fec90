import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import type { SmokeResult } from '../../src/smoke/types.js';

/** Failure fixtures: each boot must fail for its own reason, exit 3, and leave no QEMU behind. */
async function smokeFails(image: BootableImage, extra: string[] = []) {
  const dir = tempDir();
  const junit = join(dir, 'smoke.xml');
  const consoleLog = join(dir, 'console.log');
  const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', image.qcow2, '--kernel', image.kernel, '--initrd', image.initrd,
    '--accel', 'tcg', '--memory', '512', '--json', '--junit', junit, '--console-log', consoleLog, ...extra]);
  expect(r.code).toBe(3);
  expect(qemuChildrenOf(process.pid)).toEqual([]);
  const result = JSON.parse(r.stdout) as SmokeResult;
  expect(result.verdict).toBe('fail');
  expect(r.stderr).toContain(`smoke test failed at ${result.failure!.stage}`);
  return { result, dir, junit: readFileSync(junit, 'utf8'), console: readFileSync(consoleLog, 'utf8') };
}

describe('vvehicle smoke failure fixtures', () => {
  let healthy: BootableImage;
  let hang: BootableImage;
  let failedUnit: BootableImage;
  beforeAll(async () => {
    healthy = await busyboxImage('healthy');
    hang = await busyboxImage('hang');
    failedUnit = await busyboxImage('failed-unit');
  }, 600_000);

  it('a wrong root device panics the kernel, detected at once rather than at the stage timeout', async () => {
    // default budgets: the health stage alone may take 300 s x tcgFactor 4
    const { result, junit, console } = await smokeFails(healthy, ['--append', 'root=/dev/vdz']);
    expect(result.cmdline).toBe('root=/dev/vda rw console=ttyAMA0 root=/dev/vdz');
    expect(console).toContain("cannot mount root device '/dev/vdz'");
    expect(result.failure!.message).toMatch(/^kernel panic: .*Kernel panic - not syncing/);
    expect(result.durationMs).toBeLessThan(120_000);
    expect(result.stages.find((s) => s.status === 'fail')!.id).toBe('health');
    expect(junit).toMatch(/<failure message="kernel panic/);
  }, 180_000);

  it('a boot that hangs fails when the stage budget runs out', async () => {
    const dir = tempDir();
    const config = join(dir, 'vvehicle.yml');
    writeFileSync(config, 'extends: gateway-qemuarm64\nsmoke:\n  tcgFactor: 1\n  timeouts:\n    kernelSec: 120\n    initSec: 120\n    healthSec: 8\n');
    const { result, console } = await smokeFails(hang, ['-c', config]);
    expect(console).toContain('vvehicle fixture: waiting forever');
    expect(result.failure).toEqual({ stage: 'health', message: 'no VVEHICLE-HEALTH line within 8s' });
    expect(result.stages.map((s) => s.status)).toEqual(['pass', 'pass', 'fail', 'skipped']);
  }, 180_000);

  it('--timeout caps the whole run whatever the stage budgets', async () => {
    const { result } = await smokeFails(hang, ['--timeout', '12']);
    // which stage the cap lands in depends on how fast this host emulates the boot; the cap itself must not
    expect(result.failure?.message).toBe('overall timeout of 12s reached');
    expect(['kernel', 'init', 'health']).toContain(result.failure?.stage);
  }, 180_000);

  it('a health line with a failed unit fails and names the unit', async () => {
    const { result, junit } = await smokeFails(failedUnit);
    expect(result.failure!.stage).toBe('health');
    expect(result.failure!.message).toContain('failed units: nr-ue.service');
    expect(result.failure!.message).toContain('unit nr-ue.service is failed');
    expect(result.health?.failed).toEqual(['nr-ue.service']);
    expect(result.probes).toEqual([]);
    expect(junit).toContain('nr-ue.service');
  }, 180_000);
});
