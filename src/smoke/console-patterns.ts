/**
 * What the serial console must show, and what ends a boot at once. Plain data plus two matchers,
 * so the patterns are unit-tested against recorded console lines.
 */

export const HEALTH_MARKER = 'VVEHICLE-HEALTH';

export interface StageSpec {
  id: 'kernel' | 'init' | 'health' | 'login';
  title: string;
  /** Stages in one group may appear in any order; a group starts when the previous one is complete. */
  group: number;
  patterns: RegExp[];
}

export const STAGES: readonly StageSpec[] = [
  { id: 'kernel', title: 'kernel started', group: 0, patterns: [/Booting Linux on physical CPU/] },
  {
    id: 'init',
    title: 'init/systemd started',
    group: 1,
    // "Run /sbin/init as init process" (or /init from an initramfs), systemd's own log prefix, its banner
    patterns: [/Run \S*init as init process/, /systemd\[1\]:/, /Welcome to /],
  },
  { id: 'health', title: 'VVEHICLE-HEALTH line', group: 2, patterns: [new RegExp(`${HEALTH_MARKER} \\{`)] },
  // getty prints "<host> login: " without a newline: this pattern is also tried on the unfinished line,
  // and other console output (the health line) may follow the prompt on the same line
  { id: 'login', title: 'login prompt', group: 2, patterns: [/(^|\s)login:( |$)/] },
];

/** Console text that means the boot has failed, whatever stage it is in. */
const FATAL: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /Kernel panic/, what: 'kernel panic' },
  { pattern: /emergency mode/i, what: 'emergency mode' },
  { pattern: /rescue mode/i, what: 'rescue mode' },
  { pattern: /Give root password/, what: 'root password prompt (emergency shell)' },
];

/** systemd 250+: "[FAILED] Failed to start foo.service - Description." / "[DEPEND] Dependency failed for foo.service - …" */
const UNIT_FAILURE = /(Failed to start|Dependency failed for) ([A-Za-z0-9@_.:\\-]+\.(service|socket|target|mount|path|timer))/;

/** Units whose failure ends the boot at once; any other failed unit is judged from the health line. */
export const CORE_REQUIRED_UNITS = [
  'vvehicle-health.service',
  'vvehicle-identity.service',
  'systemd-networkd.service',
  'local-fs.target',
  'sysinit.target',
  'basic.target',
  'multi-user.target',
] as const;

/** Returns why the line ends the boot, or undefined. */
export function fatalReason(line: string, requiredUnits: readonly string[]): string | undefined {
  for (const { pattern, what } of FATAL) if (pattern.test(line)) return `${what}: ${line.trim()}`;
  const unit = UNIT_FAILURE.exec(line);
  if (unit && requiredUnits.includes(unit[2]!)) return `required unit ${unit[2]} failed: ${line.trim()}`;
  return undefined;
}

/** The JSON text after the health marker, or undefined when the line carries none. */
export function healthJsonIn(line: string): string | undefined {
  const at = line.indexOf(`${HEALTH_MARKER} {`);
  if (at < 0) return undefined;
  const json = line.slice(at + HEALTH_MARKER.length + 1);
  const end = json.lastIndexOf('}');
  return end < 0 ? undefined : json.slice(0, end + 1);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]/g;

/** Console text as a person reads it: no colour codes, no carriage returns. */
export function plainText(text: string): string {
  return text.replace(ANSI, '').replace(/\r/g, '');
}
