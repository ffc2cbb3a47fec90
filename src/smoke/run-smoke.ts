import { appendFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { freePorts } from '../host/free-ports.js';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ToolError, UserError } from '../errors.js';
import type { AccelChoice } from '../host/accel.js';
import { onCleanup } from '../signals.js';
import { launchQemu, machineFor, type HostForward } from '../tools/qemu.js';
import { ConsoleLines } from './console-lines.js';
import { STAGES } from './console-patterns.js';
import { BootExpectations } from './expectations.js';
import { credentialFwCfg, type SmokeIdentity } from './identity.js';
import { planProbes, runProbe, type ProbeSpec } from './probes.js';
import type { HealthReport, ProbeResult, SmokeResult } from './types.js';

type HealthModule = typeof import('./health.js');

export const BASE_CMDLINE = 'root=/dev/vda rw console=ttyAMA0';
const OTELCOL_HEALTH_PORT = 13133;
/** How long probes may retry (× the TCG factor): a socket-activated Go binary starts slowly when emulated. */
const PROBE_BUDGET_SEC = 30;

export interface SmokeInputs {
  disk: string;
  kernel: string;
  initrd?: string;
  /** Extra kernel arguments, appended after the base command line (later root= wins). */
  append?: string;
  accel: AccelChoice;
  memoryMiB: number;
  cpus: number;
  timeouts: { kernelSec: number; initSec: number; healthSec: number };
  /** Multiplies every timeout under TCG. */
  tcgFactor: number;
  /** Cap on the whole boot plus probes, seconds; not multiplied. */
  overallTimeoutSec?: number;
  allowDegraded: boolean;
  probes: Record<ProbeSpec['configKey'], boolean>;
  nodeExporterPort: number;
  requiredUnits: readonly string[];
  consoleLog: string;
  junit?: string;
  signal: AbortSignal;
  /**
   * The identity passed to the guest as systemd credentials over fw_cfg, and what the health line must
   * then say about it; undefined: none passed and identity not judged (images that predate it).
   */
  identity?: SmokeIdentity;
  /** Progress for the user: a stage passed, a probe finished. */
  onProgress?: (message: string) => void;
  /** Called once QEMU is running (the caller may now load what it needs only while the guest boots). */
  onQemuStarted?: () => void;
}

/**
 * QEMU could not start the guest (QEMU is missing, could not open the disk or make its overlay, or
 * exited before the guest printed anything). Still a ToolError, exiting with the program's own code (a host
 * problem, not an unhealthy image), but it carries the failed result, whose JSON and JUnit were
 * written like those of any other verdict, so CI shows a red "QEMU starts" case with the tool's line.
 */
export class SmokeStartError extends ToolError {
  readonly result: SmokeResult;
  constructor(cause: ToolError, result: SmokeResult) {
    super(cause.command, cause.exitCode, cause.tail, cause.message);
    this.name = 'SmokeStartError';
    this.result = result;
  }
}

/**
 * Boots the image once on a throwaway overlay and decides pass/fail. Returns the result for both
 * verdicts; throws UserError for bad inputs, SmokeStartError when QEMU cannot start the guest, and
 * the abort reason on Ctrl-C. QEMU and the overlay are gone when this returns or throws.
 */
export async function runSmoke(inputs: SmokeInputs): Promise<SmokeResult> {
  const disk = resolve(inputs.disk);
  const kernel = resolve(inputs.kernel);
  const initrd = inputs.initrd ? resolve(inputs.initrd) : undefined;
  checkInputs(disk, kernel, initrd);
  const consoleLog = resolve(inputs.consoleLog);
  const factor = inputs.accel.accel === 'tcg' ? inputs.tcgFactor : 1;
  const cmdline = [BASE_CMDLINE, inputs.append?.trim()].filter(Boolean).join(' ');
  const { machine, cpu } = machineFor(inputs.accel.accel);

  const workDir = await mkdtemp(join(tmpdir(), 'vvehicle-smoke-'));
  // synchronous: a few small files, and no thread-pool round trips between the verdict and our exit
  const removeWorkDir = async () => rmSync(workDir, { recursive: true, force: true });
  const unregisterWorkDir = onCleanup(removeWorkDir);
  const booted = {
    accel: inputs.accel.accel,
    accelReason: inputs.accel.reason,
    cpu,
    machine,
    memoryMiB: inputs.memoryMiB,
    cpus: inputs.cpus,
    kernel,
    ...(initrd ? { initrd } : {}),
    disk,
    cmdline,
    consoleLog,
  };
  let startedAt = new Date();
  let t0 = performance.now();
  const now = () => performance.now() - t0;
  /** A ToolError before the guest spoke: record it as the failed "QEMU starts" case, with its command and output in the console log. */
  const startFailure = async (error: unknown): Promise<unknown> => {
    if (!(error instanceof ToolError) || inputs.signal.aborted) return error;
    appendFileSync(consoleLog, `$ ${error.command}\n${error.tail ? `${error.tail.trimEnd()}\n` : ''}`);
    const message = error.message.split('\n')[0]!;
    const result: SmokeResult = {
      verdict: 'fail',
      ...booted,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(now()),
      stages: [
        { id: 'start', title: 'QEMU starts', status: 'fail', durationMs: Math.round(now()), message },
        ...STAGES.map((s) => ({ id: s.id, title: s.title, status: 'skipped' as const, durationMs: 0 })),
      ],
      probes: [],
      failure: { stage: 'start', message },
    };
    if (inputs.junit) result.junit = await writeJunit(inputs.junit, result);
    return new SmokeStartError(error, result);
  };
  try {
    if (inputs.signal.aborted) throw inputs.signal.reason;
    mkdirSync(dirname(consoleLog), { recursive: true });
    writeFileSync(consoleLog, '');
    // QEMU writes the console into a regular file that we read back as it grows: the console log itself,
    // or, when that is no file (--console-log /dev/null, /dev/stderr), one in our temp dir, whose text we
    // pass on to it
    const consoleIsFile = statSync(consoleLog).isFile();
    const qemuConsole = consoleIsFile ? consoleLog : join(workDir, 'console.log');
    if (!consoleIsFile) writeFileSync(qemuConsole, '');
    const [metricsPort, otelPort] = await freePorts(2);
    const forwards: HostForward[] = [
      { hostPort: metricsPort!, guestPort: inputs.nodeExporterPort },
      { hostPort: otelPort!, guestPort: OTELCOL_HEALTH_PORT },
    ];
    startedAt = new Date();
    t0 = performance.now();

    let health: HealthReport | undefined;
    // the health line's judge (zod) is compiled once QEMU runs; console text that comes before waits for it
    let judge: HealthModule | undefined;
    // the probes start as soon as a good health line arrives (the guest's services are up), while the
    // console goes on to the login prompt: the verdict waits for whichever ends last, not for both in a row
    const probeStop = new AbortController();
    let probesRun: Promise<ProbeResult[]> | undefined;
    const startProbes = (report: HealthReport) => {
      const leftMs = inputs.overallTimeoutSec !== undefined ? inputs.overallTimeoutSec * 1000 - now() : Infinity;
      const budgetMs = Math.max(0, Math.min(PROBE_BUDGET_SEC * factor * 1000, leftMs));
      const ports: Record<ProbeSpec['id'], number> = { 'node-exporter-metrics': metricsPort!, 'otelcol-health': otelPort! };
      const signal = AbortSignal.any([inputs.signal, probeStop.signal]);
      const expect = inputs.identity?.expect;
      const probeExpectations = expect?.kind === 'echo' && expect.vehicleId ? { vehicleId: expect.vehicleId } : {};
      probesRun = Promise.all(
        planProbes(inputs.probes, report).map(async (planned) => {
          const result = planned.run
            ? await runProbe(planned.spec, ports[planned.spec.id], budgetMs, signal, probeExpectations)
            : { id: planned.spec.id, status: 'skipped' as const, durationMs: 0, detail: planned.reason ?? 'skipped' };
          inputs.onProgress?.(`probe ${planned.spec.id}: ${result.status} (${result.detail})`);
          return result;
        }),
      );
      probesRun.catch(() => {}); // awaited below, or abandoned when the boot fails
    };
    const expectations = new BootExpectations({
      groupTimeoutsMs: [inputs.timeouts.kernelSec, inputs.timeouts.initSec, inputs.timeouts.healthSec].map((s) => s * factor * 1000) as [number, number, number],
      requiredUnits: inputs.requiredUnits,
      startMs: 0,
      checkHealth: (json) => {
        const parsed = judge!.parseHealth(json);
        if ('problem' in parsed) return parsed.problem;
        health = parsed.report;
        const problems = judge!.healthProblems(parsed.report, inputs.allowDegraded, inputs.identity?.expect);
        if (problems.length) return `unhealthy: ${problems.join('; ')}`;
        startProbes(parsed.report);
        return undefined;
      },
    });

    const lines = new ConsoleLines();
    let sawOutput = false;
    const reported = new Set<string>();
    const report = () => {
      const passed = expectations.stages().filter((s) => s.status === 'pass' && !reported.has(s.id));
      for (const s of passed.sort((a, b) => a.durationMs - b.durationMs)) {
        reported.add(s.id);
        inputs.onProgress?.(`${s.title} (${(s.durationMs / 1000).toFixed(1)}s)`);
      }
    };
    let wake: () => void = () => {};
    const early: string[] = [];
    const judgeText = (text: string) => {
      const { lines: complete, partial } = lines.push(text);
      for (const line of complete) expectations.observeLine(line, now());
      expectations.observePartial(partial, now());
      report();
      if (expectations.outcome) wake();
    };
    const onConsole = (chunk: string) => {
      sawOutput = true;
      if (!consoleIsFile) appendFileSync(consoleLog, chunk);
      if (judge) judgeText(chunk);
      else early.push(chunk);
    };

    // the secret credentials as 0600 files in our own throwaway dir (mkdtemp makes it 0700)
    const fwCfg = credentialFwCfg(inputs.identity?.credentials ?? {}, workDir);
    let qemu: ReturnType<typeof launchQemu>;
    try {
      // QEMU boots the base read-only and keeps the guest's writes in its own overlay in workDir; it
      // writes the serial console straight into the console log, which onConsole is handed as it grows
      qemu = launchQemu({ accel: inputs.accel.accel, memoryMiB: inputs.memoryMiB, cpus: inputs.cpus, kernel, initrd, disk, scratchDir: workDir, cmdline, forwards, fwCfg, consoleFile: qemuConsole }, onConsole);
    } catch (error) {
      throw await startFailure(error);
    }
    const unregisterQemu = onCleanup(() => qemu.stop());
    inputs.onProgress?.(`QEMU started (${inputs.accel.accel}: ${inputs.accel.reason}), pid ${qemu.pid}`);
    inputs.onQemuStarted?.();
    try {
      judge = await import('./health.js');
    } catch (error) {
      await qemu.stop();
      unregisterQemu();
      throw error;
    }
    for (const chunk of early.splice(0)) judgeText(chunk);
    const probes: ProbeResult[] = [];
    try {
      const decided = new Promise<void>((r) => (wake = r));
      const ticker = setInterval(() => {
        expectations.checkDeadline(now());
        if (inputs.overallTimeoutSec !== undefined && now() >= inputs.overallTimeoutSec * 1000) {
          expectations.abort(`overall timeout of ${inputs.overallTimeoutSec}s reached`, now());
        }
        if (expectations.outcome) wake();
      }, 200);
      const aborted = new Promise<'aborted'>((r) => inputs.signal.addEventListener('abort', () => r('aborted'), { once: true }));
      try {
        const first = await Promise.race([decided.then(() => 'decided' as const), qemu.exited, aborted]);
        if (first === 'aborted' || inputs.signal.aborted) throw inputs.signal.reason;
        if (first !== 'decided') {
          const code = first.exitCode ?? first.signal ?? 'unknown';
          if (!sawOutput && first.exitCode !== 0) {
            throw await startFailure(new ToolError(qemu.command, first.exitCode ?? 1, first.stderr, `QEMU could not start (exit ${code})`));
          }
          judgeText(lines.flush() + '\n'); // the last line, which no newline ended
          expectations.abort(`QEMU exited (${code}) before the boot was decided${first.stderr.trim() ? `: ${first.stderr.trim().split('\n').pop()}` : ''}`, now());
        }
      } finally {
        clearInterval(ticker);
      }

      // a pass needs a good health line, which started the probes; a failed boot has nothing to probe
      if (expectations.outcome?.verdict === 'pass' && probesRun) probes.push(...(await probesRun));
    } finally {
      probeStop.abort();
      // no grace: the guest's disk is QEMU's throwaway overlay, nothing in it is worth a clean shutdown
      await qemu.stop(0);
      unregisterQemu();
    }

    const outcome = expectations.outcome ?? { verdict: 'fail' as const, stage: 'boot', message: 'undecided' };
    const failedProbe = probes.find((p) => p.status === 'fail');
    const failure = outcome.verdict === 'fail' ? { stage: outcome.stage, message: outcome.message } : failedProbe ? { stage: `probe ${failedProbe.id}`, message: failedProbe.detail } : undefined;
    const result: SmokeResult = {
      verdict: failure ? 'fail' : 'pass',
      ...booted,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(now()),
      stages: expectations.stages().map((s) => ({ ...s, durationMs: Math.round(s.durationMs) })),
      ...(inputs.identity ? { identity: inputs.identity.expect } : {}),
      ...(health ? { health } : {}),
      probes: probes.map((p) => ({ ...p, durationMs: Math.round(p.durationMs) })),
      ...(failure ? { failure } : {}),
    };
    if (inputs.junit) result.junit = await writeJunit(inputs.junit, result);
    return result;
  } finally {
    await removeWorkDir();
    unregisterWorkDir();
  }
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

function checkInputs(disk: string, kernel: string, initrd: string | undefined): void {
  for (const [what, path] of [['disk', disk], ['kernel', kernel], ['initrd', initrd]] as const) {
    if (path !== undefined && !existsSync(path)) throw new UserError(`${what} ${path} does not exist`, 'pass --disk/--kernel, or --from a convert output directory');
  }
  const head = Buffer.alloc(4);
  const fd = openSync(disk, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(QCOW2_MAGIC)) {
    throw new UserError(`${disk} is not a qcow2 image`, 'smoke boots the qcow2 that `vvehicle convert` writes (an overlay needs a qcow2 backing file)');
  }
}

/**
 * Writes the JUnit report of a result; returns its absolute path. The JUnit builder (a 250 kB bundle) is
 * loaded only here: a smoke without --junit never compiles it before QEMU starts.
 */
async function writeJunit(path: string, result: SmokeResult): Promise<string> {
  const { smokeJunitXml } = await import('./junit.js');
  const junitPath = resolve(path);
  writeAtomically(junitPath, smokeJunitXml(result));
  return junitPath;
}

function writeAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${path.split('/').pop()}.${process.pid}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}
