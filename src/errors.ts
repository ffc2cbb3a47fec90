/**
 * The error types every part of vvehicle raises. They are mapped to exit codes in one place
 * (`exitCodeFor`, used by cli.ts) so commands never call process.exit themselves.
 */

/** Bad input or a missing prerequisite: the user can fix it. Exit 2. */
export class UserError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

/** One located problem in a configuration file. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/** All problems found while loading a configuration, reported together. Exit 2. */
export class ConfigError extends UserError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'), 'fix the lines above, then rerun; `vvehicle schema` prints every allowed key');
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path || '(root)'}: ${p.message}`;
}

/** An external program failed. Exit with the program's own code. */
export class ToolError extends Error {
  readonly command: string;
  readonly exitCode: number;
  readonly tail: string;
  /** The program's own line that says what went wrong (from `tail`), if it printed one. */
  readonly reason: string | undefined;
  /**
   * The first line of the message always carries `reason`: it is what the progress line, the
   * verdict and a CI log show first, while the command and the whole tail follow in describeError.
   */
  constructor(command: string, exitCode: number, tail: string, message?: string) {
    const reason = decisiveLine(tail, programOf(command));
    super(withReason(message ?? `${programOf(command)} exited with code ${exitCode}`, reason));
    this.name = 'ToolError';
    this.command = command;
    this.exitCode = exitCode;
    this.tail = tail;
    this.reason = reason;
  }
}

// words with which QEMU, qemu-img, git, podman and docker say what went wrong
const DECISIVE = /\b(error|fatal|failed|failure|cannot|can't|could not|couldn't|unable|not found|no such|invalid|denied|refused|unsupported|not supported|missing|does not exist|no space)\b/i;
const MAX_REASON = 300;

/**
 * The line of a program's output that says why it failed. Tools sign their own diagnosis
 * ("qemu-img: …: Unsupported qcow2 version 7", "fatal: …", "Error: …") and print context or usage
 * around it ("Could not open backing image.", "See 'docker run --help'"): so the last signed line
 * that is not a warning, else the last line with an error word, else the last line.
 */
export function decisiveLine(text: string, program?: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).reverse();
  const signed = (l: string) => (program !== undefined && l.startsWith(`${program}:`)) || /^(fatal|error|Error):/.test(l);
  const warning = (l: string) => /^\S+: warning:/i.test(l);
  const line = lines.find((l) => signed(l) && !warning(l)) ?? lines.find((l) => DECISIVE.test(l) && !warning(l)) ?? lines[0];
  if (line === undefined) return undefined;
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

function programOf(command: string): string {
  return command.split(' ')[0]!.split('/').pop()!;
}

/** A one-line message gets the reason appended; a composed multi-line message already leads with its own. */
function withReason(message: string, reason: string | undefined): string {
  if (!reason || message.includes('\n') || message.includes(reason)) return message;
  return `${message}: ${reason}`;
}

/** The smoke boot ran but the image did not prove healthy. Exit 3. */
export class SmokeFailure extends Error {
  readonly stage: string;
  constructor(stage: string, message: string) {
    super(message);
    this.name = 'SmokeFailure';
    this.stage = stage;
  }
}

/** The user pressed Ctrl-C or we got SIGTERM. Exit 130. */
export class Interrupted extends Error {
  constructor(signal: string = 'SIGINT') {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

export const EXIT = { ok: 0, internal: 1, user: 2, smoke: 3, interrupted: 130 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof UserError) return EXIT.user;
  if (error instanceof SmokeFailure) return EXIT.smoke;
  if (error instanceof Interrupted) return EXIT.interrupted;
  if (error instanceof ToolError) return error.exitCode > 0 && error.exitCode < 256 ? error.exitCode : EXIT.internal;
  return EXIT.internal;
}

/** The text the user sees for an error; stack traces only with --debug. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof UserError) {
    return error.hint ? `error: ${error.message}\nhint: ${error.hint}` : `error: ${error.message}`;
  }
  if (error instanceof ToolError) {
    const tail = error.tail.trim() ? `\n--- last lines ---\n${error.tail.trimEnd()}` : '';
    return `error: ${error.message}\ncommand: ${error.command}${tail}`;
  }
  if (error instanceof SmokeFailure) return `smoke test failed at ${error.stage}: ${error.message}`;
  if (error instanceof Interrupted) return `${error.message}; stopped what we had started`;
  const text = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  return `internal error: ${text}${debug ? '' : '\n(rerun with --debug for the stack trace)'}`;
}
