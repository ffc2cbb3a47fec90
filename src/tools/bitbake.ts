/**
 * bitbake: the argv of the commands we run in the builder container, and a parser that turns
 * bitbake's non-interactive (knotty, no TTY) output into progress text and a failure summary.
 */

export type BitbakeCommand =
  | { kind: 'show-layers' }
  | { kind: 'parse' }
  | { kind: 'graph'; target: string }
  | { kind: 'build'; target: string; task?: string; continue?: boolean; extra?: readonly string[] };

export function bitbakeArgv(command: BitbakeCommand): string[] {
  switch (command.kind) {
    case 'show-layers':
      return ['bitbake-layers', 'show-layers'];
    case 'parse':
      return ['bitbake', '--parse-only'];
    case 'graph':
      return ['bitbake', '--graphviz', command.target];
    case 'build':
      return [
        'bitbake',
        ...(command.continue ? ['--continue'] : []),
        ...(command.task ? ['--cmd', command.task] : []),
        command.target,
        ...(command.extra ?? []),
      ];
  }
}

export interface FailedTask {
  /** e.g. "/…/lab-broken_1.0.bb:do_compile" as bitbake names it. */
  task: string;
  recipe: string;
  taskName: string;
  logfile?: string;
  exitCode?: number;
}

export interface BitbakeSummary {
  /** Last "Running task N of M". */
  current: number;
  total: number;
  failed: FailedTask[];
  /** Every "Logfile of failure stored in:" path, in order. */
  logfiles: string[];
  errors: string[];
  warnings: string[];
}

const RUNNING = /^NOTE: Running (setscene )?task (\d+) of (\d+) \((.+)\)\s*$/;
const RECIPE_TASK = /^NOTE: recipe (\S+): task (do_\S+): (Started|Succeeded|Failed)\s*$/;
const TASK_FAILED = /^ERROR: Task \((.+)\) failed with exit code '(\d+)'/;
const LOGFILE = /^ERROR: Logfile of failure stored in: (\S+)/;
const SUMMARY_TASK = /^ {2}(\S+:do_\S+)\s*$/;
const SUMMARY_LOG = /^ {4}log: (\S+)\s*$/;

/** "ueransim-3.3.0-r0" → "ueransim" (PN-PV-PR; PV and PR never contain "-"). */
export function recipeFromPf(pf: string): string {
  const m = /^(.+)-[^-]+-r[^-]+$/.exec(pf);
  return m ? m[1]! : pf;
}

/** "virtual:native:/…/acl_2.3.2.bb:do_compile" → { recipe: "acl-native", task: "do_compile" }. */
export function parseTaskId(id: string): { recipe: string; taskName: string } {
  const m = /^(?:(?:mc:[^:]*:)?virtual:([^:]+):)?(.*?)([^/]+?)(?:_[^/_]*)?\.bb:(do_\w+)$/.exec(id);
  if (!m) return { recipe: id, taskName: '' };
  const variant = m[1];
  const base = m[3]!;
  const recipe = !variant ? base : variant === 'nativesdk' ? `nativesdk-${base}` : `${base}-${variant}`;
  return { recipe, taskName: m[4]! };
}

const fmt = new Intl.NumberFormat('en-US');

export class BitbakeOutput {
  private current = 0;
  private total = 0;
  private setscene = false;
  private readonly running: string[] = [];
  private lastStarted: string | undefined;
  private readonly failed: FailedTask[] = [];
  private readonly logfiles: string[] = [];
  private readonly errors: string[] = [];
  private readonly warnings: string[] = [];
  private inSummary = false;

  /** Feeds one line; returns true when the progress text changed. */
  feed(line: string): boolean {
    let m = RUNNING.exec(line);
    if (m) {
      this.setscene = m[1] !== undefined;
      this.current = Number(m[2]);
      this.total = Number(m[3]);
      if (!this.lastStarted) {
        const t = parseTaskId(m[4]!);
        this.lastStarted = `${t.recipe} ${t.taskName}`;
      }
      return true;
    }
    m = RECIPE_TASK.exec(line);
    if (m) {
      const label = `${recipeFromPf(m[1]!)} ${m[2]!}`;
      if (m[3] === 'Started') {
        this.running.push(label);
        this.lastStarted = label;
      } else {
        const at = this.running.indexOf(label);
        if (at >= 0) this.running.splice(at, 1);
      }
      return true;
    }
    m = TASK_FAILED.exec(line);
    if (m) {
      this.recordFailure(m[1]!, undefined, Number(m[2]));
      this.errors.push(line);
      return false;
    }
    m = LOGFILE.exec(line);
    if (m) {
      this.logfiles.push(m[1]!);
      this.errors.push(line);
      return false;
    }
    if (/^Summary: \d+ tasks? failed:/.test(line)) {
      this.inSummary = true;
      return false;
    }
    if (this.inSummary) {
      const task = SUMMARY_TASK.exec(line);
      const log = SUMMARY_LOG.exec(line);
      if (task) this.recordFailure(task[1]!, undefined);
      else if (log) this.recordFailure(undefined, log[1]!);
      else this.inSummary = false;
    }
    if (line.startsWith('ERROR: ')) this.errors.push(line);
    else if (line.startsWith('WARNING: ')) this.warnings.push(line);
    return false;
  }

  private recordFailure(task: string | undefined, logfile: string | undefined, exitCode?: number): void {
    if (task) {
      const known = this.failed.find((f) => f.task === task);
      if (known) {
        if (exitCode !== undefined) known.exitCode = exitCode;
        return;
      }
      const t = parseTaskId(task);
      this.failed.push({ task, recipe: t.recipe, taskName: t.taskName, exitCode, logfile: this.logfileFor(task) });
    } else if (logfile) {
      const last = this.failed[this.failed.length - 1];
      if (last) last.logfile = logfile;
    }
  }

  /** bitbake prints the logfile line before the task line; match it by the task name in the path. */
  private logfileFor(task: string): string | undefined {
    const taskName = task.slice(task.lastIndexOf(':') + 1);
    return [...this.logfiles].reverse().find((l) => l.includes(`/log.${taskName}.`));
  }

  /** `bitbake  2,314/4,060 tasks · ueransim do_compile` */
  progressText(): string | undefined {
    if (!this.total) return undefined;
    const doing = this.running[this.running.length - 1] ?? this.lastStarted;
    const what = this.setscene ? 'setscene tasks' : 'tasks';
    return `bitbake  ${fmt.format(this.current)}/${fmt.format(this.total)} ${what}${doing ? ` · ${doing}` : ''}`;
  }

  summary(): BitbakeSummary {
    return {
      current: this.current,
      total: this.total,
      failed: this.failed.map((f) => ({ ...f })),
      logfiles: [...this.logfiles],
      errors: [...this.errors],
      warnings: [...this.warnings],
    };
  }
}

/** Warnings that do not fail `vvehicle check` (each with the reason it is harmless). */
export const EXPECTED_WARNINGS: readonly { pattern: RegExp; why: string }[] = [];

export function unexpectedWarnings(warnings: readonly string[], expected = EXPECTED_WARNINGS): string[] {
  return warnings.filter((w) => !expected.some((e) => e.pattern.test(w)));
}

/** Recipe names (PN) in a task-depends.dot written by `bitbake -g`. */
export function recipesInTaskGraph(dot: string): Set<string> {
  const recipes = new Set<string>();
  for (const m of dot.matchAll(/^"([^"]+)\.do_[^"]+" \[label=/gm)) recipes.add(m[1]!);
  return recipes;
}
