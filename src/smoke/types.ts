/**
 * The result of one smoke boot. `vvehicle smoke --json` prints it; the manifest records its verdict,
 * accel and durations; publish copies its console log and JUnit file next to the image.
 * Type aliases (not interfaces) so they are assignable to the manifest's JSON record types.
 */

export type SmokeVerdict = 'pass' | 'fail';
export type StageStatus = 'pass' | 'fail' | 'skipped';

/** Stage ids, in the order the console must show them (health and login may come in either order). */
export type SmokeStageId = 'kernel' | 'init' | 'health' | 'login';

export type SmokeStage = {
  id: SmokeStageId | string;
  title: string;
  status: StageStatus;
  /** Time from QEMU start until the stage was decided. */
  durationMs: number;
  message?: string;
};

/**
 * The identity the image booted with, as its vvehicle-identity unit decided it (IDENTITY_STATES in
 * src/identity/credentials.ts says what each state means). Never K or OPc.
 */
export type HealthIdentity = {
  state: 'ok' | 'missing' | 'invalid' | 'unknown';
  vehicleId: string | null;
  hostname: string | null;
  supi: string | null;
  /** Required credentials that did not arrive. */
  missing: string[];
  /** Credentials whose value is malformed. */
  invalid: string[];
};

/** The JSON the layer's vvehicle-health oneshot prints after `VVEHICLE-HEALTH `. */
export type HealthReport = {
  version?: string;
  /** `systemctl is-system-running` (running, degraded, starting …); "busybox" fixtures print running. */
  state: string;
  /** Names of failed units. */
  failed: string[];
  /** IPv4 address of the uplink; empty/absent when networking did not come up. */
  ipv4?: string | null;
  /** Active state per unit (e.g. "node_exporter.socket": "active"). */
  units: Record<string, string>;
  /** Whether connman is present in the image (it must not be). */
  connman: boolean;
  /** Absent in images that predate identity at boot. */
  identity?: HealthIdentity;
};

export type ProbeId = 'node-exporter-metrics' | 'otelcol-health';

export type ProbeResult = {
  id: ProbeId | string;
  status: StageStatus;
  durationMs: number;
  /** What was checked and what came back, or why the probe was skipped. */
  detail: string;
};

export type SmokeResult = {
  verdict: SmokeVerdict;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  cpu: string;
  machine: string;
  memoryMiB: number;
  cpus: number;
  /** Absolute paths of what was booted (the disk is the base; the overlay is thrown away). */
  kernel: string;
  initrd?: string;
  disk: string;
  cmdline: string;
  /** ISO 8601 time QEMU was started. */
  startedAt: string;
  /** From QEMU start to verdict. */
  durationMs: number;
  stages: SmokeStage[];
  /** What smoke expected of the identity (the non-secret part of what it passed), when it judged it. */
  identity?: { kind: 'echo'; vehicleId: string | null; supi: string | null; hostname: string | null } | { kind: 'missing' };
  /** The parsed VVEHICLE-HEALTH line, when one was seen and parsed. */
  health?: HealthReport;
  probes: ProbeResult[];
  /** Absolute path of the serial console log. */
  consoleLog: string;
  /** Absolute path of the JUnit XML, when one was written. */
  junit?: string;
  failure?: { stage: string; message: string };
};
