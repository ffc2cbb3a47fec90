import { fatalReason, healthJsonIn, STAGES, type StageSpec } from './console-patterns.js';
import type { SmokeStage } from './types.js';

export interface ExpectationOptions {
  /** Budget of each stage group (kernel, init, health+login), counted from when the group starts. */
  groupTimeoutsMs: readonly [number, number, number];
  /** Units whose "Failed to start"/"Dependency failed" ends the boot at once. */
  requiredUnits: readonly string[];
  /** Judges the health JSON as soon as it is seen: a message means the boot failed. */
  checkHealth: (json: string) => string | undefined;
  /** Clock value when QEMU was started (the same clock as every `nowMs` below). */
  startMs: number;
}

export type Outcome = { verdict: 'pass' } | { verdict: 'fail'; stage: string; message: string };

interface StageState {
  spec: StageSpec;
  status: 'pending' | 'pass' | 'fail';
  atMs?: number;
  message?: string;
}

/**
 * The ordered expectations of a smoke boot as a state machine over console lines and time. It holds
 * no timers and reads no clock: the caller feeds lines and the current time, so it is tested
 * deterministically with recorded consoles.
 */
export class BootExpectations {
  private readonly states: StageState[];
  private group = 0;
  private groupStartMs: number;
  private result: Outcome | undefined;
  private health: string | undefined;

  constructor(private readonly options: ExpectationOptions) {
    this.states = STAGES.map((spec) => ({ spec, status: 'pending' }));
    this.groupStartMs = options.startMs;
  }

  get outcome(): Outcome | undefined {
    return this.result;
  }

  /** The health JSON text, once seen. */
  get healthJson(): string | undefined {
    return this.health;
  }

  /** A complete console line. */
  observeLine(line: string, nowMs: number): void {
    if (this.result) return;
    const fatal = fatalReason(line, this.options.requiredUnits);
    if (fatal) return this.fail(this.currentStage(), fatal, nowMs);
    this.match(line, nowMs, false);
  }

  /** The line still being written (a prompt): only stages that end without a newline match it. */
  observePartial(text: string, nowMs: number): void {
    if (this.result || !text) return;
    this.match(text, nowMs, true);
  }

  /** Fails the current stage when its group's budget has run out. */
  checkDeadline(nowMs: number): void {
    if (this.result) return;
    const deadline = this.nextDeadline();
    if (deadline === undefined || nowMs < deadline) return;
    const stage = this.currentStage();
    const seconds = Math.round(this.options.groupTimeoutsMs[this.group]! / 100) / 10;
    this.fail(stage, `no ${stage.spec.title} within ${seconds}s`, nowMs);
  }

  /** When the current group's budget ends, or undefined once decided. */
  nextDeadline(): number | undefined {
    return this.result ? undefined : this.groupStartMs + this.options.groupTimeoutsMs[this.group]!;
  }

  /** Ends the boot from outside (overall cap, QEMU exited). */
  abort(message: string, nowMs: number): void {
    if (!this.result) this.fail(this.currentStage(), message, nowMs);
  }

  stages(): SmokeStage[] {
    return this.states.map((s) => ({
      id: s.spec.id,
      title: s.spec.title,
      status: s.status === 'pending' ? 'skipped' : s.status,
      durationMs: s.atMs === undefined ? 0 : s.atMs - this.options.startMs,
      ...(s.message ? { message: s.message } : {}),
    }));
  }

  private match(text: string, nowMs: number, partial: boolean): void {
    for (const state of this.states) {
      if (state.status !== 'pending' || state.spec.group !== this.group) continue;
      if (partial && state.spec.id !== 'login') continue;
      if (!state.spec.patterns.some((p) => p.test(text))) continue;
      if (state.spec.id === 'health') {
        const json = healthJsonIn(text);
        if (json === undefined) continue;
        this.health = json;
        const problem = this.options.checkHealth(json);
        if (problem) return this.fail(state, problem, nowMs);
      }
      state.status = 'pass';
      state.atMs = nowMs;
    }
    this.advance(nowMs);
  }

  private advance(nowMs: number): void {
    while (this.states.filter((s) => s.spec.group === this.group).every((s) => s.status === 'pass')) {
      if (this.group === this.options.groupTimeoutsMs.length - 1) {
        this.result = { verdict: 'pass' };
        return;
      }
      this.group += 1;
      this.groupStartMs = nowMs;
    }
  }

  /** The first stage still pending in the current group (the one that is late). */
  private currentStage(): StageState {
    return this.states.find((s) => s.spec.group === this.group && s.status === 'pending') ?? this.states[this.states.length - 1]!;
  }

  private fail(state: StageState, message: string, nowMs: number): void {
    state.status = 'fail';
    state.atMs = nowMs;
    state.message = message;
    this.result = { verdict: 'fail', stage: state.spec.id, message };
  }
}
