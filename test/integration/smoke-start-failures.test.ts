import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { runCli } from '../helpers/cli.js';
import { pathWithOnly, qemuMissingRomDir } from '../helpers/qemu-wrappers.js';
import { tempDir } from '../helpers/tmp.js';
import type { SmokeResult } from '../../src/smoke/types.js';

/**
 * Issue 8: when QEMU fails before the guest speaks (cannot find a ROM, is missing, or cannot open the disk), the tool's own
 * line is the first line of the error, the JSON verdict and the JUnit failure; the command and the
 * whole output go to the console log. Real failures of the real programs, no mocked result.
 */
async function cannotStart(image: BootableImage, options: { path?: string; disk?: string }) {
  const dir = tempDir();
  const junit = join(dir, 'smoke.xml');
  const consoleLog = join(dir, 'console.log');
  const savedPath = process.env.PATH;
  if (options.path) process.env.PATH = options.path;
  try {
    const r = await runCli(['smoke', '-w', join(dir, 'work'), '--disk', options.disk ?? image.qcow2, '--kernel', image.kernel, '--initrd', image.initrd,
      '--accel', 'tcg', '--memory', '512', '--json', '--junit', junit, '--console-log', consoleLog]);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
    const result = JSON.parse(r.stdout) as SmokeResult;
    expect(result.verdict).toBe('fail');
    expect(result.failure!.stage).toBe('start');
    expect(result.stages.map((s) => [s.id, s.status])).toEqual([['start', 'fail'], ['kernel', 'skipped'], ['init', 'skipped'], ['health', 'skipped'], ['login', 'skipped']]);
    return { code: r.code, firstLine: r.stderr.split('\n')[0]!, stderr: r.stderr, result, junit: readFileSync(junit, 'utf8'), console: readFileSync(consoleLog, 'utf8') };
  } finally {
    process.env.PATH = savedPath;
  }
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('vvehicle smoke when QEMU cannot start', () => {
  let image: BootableImage;
  beforeAll(async () => {
    image = await busyboxImage('healthy');
  }, 600_000);

  it('a missing option ROM: QEMU\'s own line first, as the JSON failure and a failed JUnit case', async () => {
    const dir = tempDir();
    const r = await cannotStart(image, { path: `${qemuMissingRomDir(dir)}:${process.env.PATH}` });
    const qemuLine = 'qemu-system-aarch64: -device virtio-net-pci,netdev=net0,romfile=vvehicle-missing.rom: failed to find romfile "vvehicle-missing.rom"';
    expect(r.code).toBe(1);
    expect(r.firstLine).toBe(`error: QEMU could not start (exit 1): ${qemuLine}`);
    expect(r.result.failure!.message).toBe(`QEMU could not start (exit 1): ${qemuLine}`);
    expect(r.junit).toContain(`<testcase classname="smoke.boot" name="QEMU starts"`);
    expect(r.junit).toContain(`<failure message="${xml(`QEMU could not start (exit 1): ${qemuLine}`)}"/>`);
    // the full command and QEMU's output stay where one looks for details
    // (the test identity's fw_cfg items end it; K and OPc only as file= paths, never their values)
    expect(r.stderr).toMatch(/\ncommand: qemu-system-aarch64 -M virt .*-device virtio-net-pci,netdev=net0,romfile=( -fw_cfg \S+)*\n/);
    expect(r.stderr).toMatch(/ -fw_cfg name=opt\/io\.systemd\.credentials\/vvehicle\.ue\.key,file=\S+credential-vvehicle\.ue\.key /);
    expect(r.console).toContain('$ qemu-system-aarch64 -M virt');
    expect(r.console).toContain(qemuLine);
  }, 120_000);

  it('a missing QEMU binary: says so and names the package, exit 127', async () => {
    const dir = tempDir();
    const r = await cannotStart(image, { path: pathWithOnly(dir, ['qemu-img']) });
    const message = 'qemu-system-aarch64 is not installed (not found on PATH); install it: sudo apt-get install --no-install-recommends qemu-system-arm';
    expect(r.code).toBe(127);
    expect(r.firstLine).toBe(`error: ${message}`);
    expect(r.result.failure!.message).toBe(message);
    expect(r.junit).toContain(`<failure message="${message}"/>`);
  }, 120_000);

  it('a corrupt qcow2: QEMU\'s own line first, naming the disk and what is wrong with it', async () => {
    const dir = tempDir();
    const disk = join(dir, 'corrupt.qcow2');
    // a qcow2 header (magic QFI\xfb) claiming a version no QEMU knows, then garbage
    writeFileSync(disk, Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 7]), Buffer.alloc(4096, 0xa5)]));
    const r = await cannotStart(image, { disk });
    const qemuLine = `qemu-system-aarch64: -drive if=none,id=disk0,file=${disk},format=qcow2,snapshot=on: Unsupported qcow2 version 7`;
    expect(r.code).toBe(1);
    expect(r.firstLine).toBe(`error: QEMU could not start (exit 1): ${qemuLine}`);
    expect(r.result.failure!.message).toBe(`QEMU could not start (exit 1): ${qemuLine}`);
    expect(r.junit).toContain(`<failure message="${xml(`QEMU could not start (exit 1): ${qemuLine}`)}"/>`);
    expect(r.console).toContain(qemuLine);
  }, 120_000);
});
