import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SmokeFailure, UserError } from '../errors.js';
import { chooseAccel, readHostFacts, type Accel } from '../host/accel.js';
import { writeFileAtomic } from '../files/atomic.js';
import { DEFAULT_SMOKE_FILE } from '../image/smoke-file.js';
import { runSignal } from '../signals.js';
import { smokeIdentity } from '../smoke/identity.js';
import { requiredUnits } from '../smoke/required-units.js';
import { runSmoke, SmokeStartError } from '../smoke/run-smoke.js';
import type { SmokeResult } from '../smoke/types.js';
import type { Config } from '../config/schema.js';
import { preloadedDefault } from '../config/preloaded-default.js';
import type { CommonOptions } from '../context.js';
import { resolveWorkDir } from '../work-dir.js';

export interface SmokeOptions extends CommonOptions {
  from?: string;
  disk?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  accel?: 'auto' | Accel;
  timeout?: string;
  junit?: string;
  json?: boolean;
  consoleLog?: string;
  memory?: string;
  cpus?: string;
  /** false with --no-identity */
  identity?: boolean;
  credential?: string[];
}

/**
 * `vvehicle smoke`: boots the image once and prints the verdict (or the SmokeResult as JSON); with a
 * convert output dir, a passing result is also saved there as smoke.json for the manifest. A failed
 * boot throws SmokeFailure (exit 3) after the result has been printed.
 */
export async function smokeCommand(options: SmokeOptions, out: (text: string) => void): Promise<SmokeResult> {
  const { config, workDir, cwd } = await smokeContext(options);
  const { disk, kernel, initrd, dir } = await bootFiles(options, config, workDir, cwd);
  const accel = chooseAccel(options.accel ?? config.smoke.accel, readHostFacts());
  const consoleLog = resolve(cwd, options.consoleLog ?? join(dir ?? join(workDir, 'logs'), `smoke-${stamp()}.console.log`));
  const identity = smokeIdentity(config, options);

  // QEMU starts first, the progress display (listr2) is loaded while the guest boots; what runSmoke
  // reports before the display is up is shown once it is
  const progress: { shown?: (message: string) => void; early: string[] } = { early: [] };
  let started: () => void = () => {};
  const qemuStarted = new Promise<void>((r) => (started = r));
  const running = runSmoke({
    disk,
    kernel,
    initrd,
    append: options.append,
    accel,
    memoryMiB: positiveInt(options.memory, '--memory') ?? config.smoke.memoryMiB,
    cpus: positiveInt(options.cpus, '--cpus') ?? config.smoke.cpus,
    timeouts: config.smoke.timeouts,
    tcgFactor: config.smoke.tcgFactor,
    overallTimeoutSec: positiveInt(options.timeout, '--timeout'),
    allowDegraded: config.smoke.allowDegraded,
    probes: config.smoke.probes,
    nodeExporterPort: config.components.nodeExporter.port,
    requiredUnits: requiredUnits(config),
    consoleLog,
    junit: options.junit && resolve(cwd, options.junit),
    identity,
    signal: runSignal,
    onQemuStarted: () => started(),
    onProgress: (message) => (progress.shown ? progress.shown(message) : progress.early.push(message)),
  });
  await Promise.race([qemuStarted, running.then(() => {}, () => {})]);
  const { runTasks } = await import('../progress/listr-renderer.js');

  const ctx: { result?: SmokeResult } = {};
  const reported = runTasks(
    [
      {
        title: `smoke boot (${accel.accel}: ${accel.reason})`,
        task: async (_ctx, task) => {
          progress.shown = (message) => (task.output = message);
          for (const message of progress.early.splice(0)) progress.shown(message);
          ctx.result = await running;
          task.title = `smoke boot: ${ctx.result.verdict} in ${(ctx.result.durationMs / 1000).toFixed(1)}s (${accel.accel})`;
        },
        rendererOptions: { persistentOutput: true },
      },
    ],
    ctx,
  );
  // QEMU could not start: the result (a failed "QEMU starts" case, JUnit already written) is printed
  // like any other verdict, then the tool's error exits with its own code
  await reported.catch((error: unknown) => {
    if (error instanceof SmokeStartError) out(options.json ? JSON.stringify(error.result, null, 2) : summary(error.result));
    throw error;
  });
  const result = ctx.result!;
  // next to the convert output, where `vvehicle manifest --from DIR` finds it (as the build's smoke stage does)
  if (dir && !result.failure) writeFileAtomic(join(dir, DEFAULT_SMOKE_FILE), `${JSON.stringify(result, null, 2)}\n`);
  out(options.json ? JSON.stringify(result, null, 2) : summary(result));
  if (result.failure) throw new SmokeFailure(result.failure.stage, result.failure.message);
  return result;
}

/**
 * Smoke needs only the configuration: the embedded default as the build loaded it when nothing on disk
 * changes it, else the whole context (configuration and plan), loaded as every command loads it.
 */
async function smokeContext(options: SmokeOptions): Promise<{ config: Config; workDir: string; cwd: string }> {
  const cwd = process.cwd();
  const preloaded = preloadedDefault({ configPath: options.config, cwd });
  if (preloaded) return { config: preloaded.config, workDir: resolveWorkDir(options.workDir, cwd, process.env), cwd };
  const { loaded, workDir } = (await import('../context.js')).openContext(options, cwd);
  return { config: loaded.config, workDir, cwd };
}

/** --disk/--kernel win; otherwise --from DIR (or the work dir's out/<name>-<version>) with a convert.json. */
async function bootFiles(options: SmokeOptions, config: Config, workDir: string, cwd: string): Promise<{ disk: string; kernel: string; initrd?: string; dir?: string }> {
  const initrdOption = options.initrd ? { initrd: resolve(cwd, options.initrd) } : {};
  if (options.disk && options.kernel && !options.from) return { disk: resolve(cwd, options.disk), kernel: resolve(cwd, options.kernel), ...initrdOption };
  const { CONVERT_RESULT_FILE, readConvertResult } = await import('../image/convert-result.js');
  const dir = options.from ? resolve(cwd, options.from) : join(workDir, 'out', `${config.name}-${config.version}`);
  if (!options.from && !existsSync(join(dir, CONVERT_RESULT_FILE))) {
    throw new UserError('no image to boot: pass --disk and --kernel, or --from a convert output directory', `looked for ${join(dir, CONVERT_RESULT_FILE)}`);
  }
  const converted = readConvertResult(dir);
  return {
    disk: options.disk ? resolve(cwd, options.disk) : converted.qcow2Path,
    kernel: options.kernel ? resolve(cwd, options.kernel) : converted.kernelPath,
    // --initrd wins; else the initramfs convert shipped with the kernel (image.initramfs)
    ...(options.initrd ? initrdOption : converted.initrdPath ? { initrd: converted.initrdPath } : {}),
    dir,
  };
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UserError(`${flag} must be a positive whole number, got "${value}"`);
  return Number(value);
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

function summary(r: SmokeResult): string {
  const lines = [
    `smoke ${r.verdict.toUpperCase()} in ${(r.durationMs / 1000).toFixed(1)}s — ${r.accel} (${r.accelReason}), -M ${r.machine} -cpu ${r.cpu}`,
    ...r.stages.map((s) => `  ${s.status.padEnd(7)} ${s.title}${s.status === 'pass' ? ` (${(s.durationMs / 1000).toFixed(1)}s)` : ''}${s.message ? `: ${s.message}` : ''}`),
    ...r.probes.map((p) => `  ${p.status.padEnd(7)} probe ${p.id}: ${p.detail}`),
    ...(r.health?.identity ? [`  identity ${r.health.identity.state}: vehicle ${r.health.identity.vehicleId ?? '-'}, host ${r.health.identity.hostname ?? '-'}, SUPI ${r.health.identity.supi ?? '-'}`] : []),
    `  console log: ${r.consoleLog}`,
    ...(r.junit ? [`  junit: ${r.junit}`] : []),
  ];
  return lines.join('\n');
}
