/**
 * A kas-style conf header block (local_conf_header / bblayers_conf_header): text that lands verbatim in a
 * BitBake conf file. Each statement must be one BitBake understands in a conf file, with balanced quotes,
 * so a typo is a located user error instead of a parse failure hours later. Inline python (`${@…}`) is
 * refused: a tracked configuration should not run code at parse time; MACHINE and DISTRO come from their keys.
 */
const ASSIGNMENT = /^(export\s+)?([A-Za-z0-9_${}/.+~-]+(?::[A-Za-z0-9_${}/.+~-]+)*)(\[[A-Za-z0-9_.-]+\])?\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*(.*)$/;
const DIRECTIVE = /^(include|require|include_all)\s+[^\s"'`\\]+$/;
const EXPORT_UNSET = /^(export|unset)\s+[A-Za-z0-9_]+(\[[A-Za-z0-9_.-]+\])?$/;
const OWNED = new Set(['MACHINE', 'DISTRO']);

export function confBlockProblems(text: string): string[] {
  const problems: string[] = [];
  // the plan writes a block without its trailing newlines: a continuation must not reach into what follows
  const lines = text.replace(/\n+$/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let statement = lines[i]!;
    // a trailing backslash continues the statement, as in BitBake
    while (statement.endsWith('\\') && i + 1 < lines.length) statement = `${statement.slice(0, -1)} ${lines[++i]!.trim()}`;
    const s = statement.trim();
    if (s === '' || s.startsWith('#')) continue;
    const problem = statementProblem(s);
    if (problem) problems.push(`line ${start}: ${problem}`);
  }
  return problems;
}

function statementProblem(s: string): string | undefined {
  if (s.includes('${@')) return 'inline python (${@…}) is not allowed in a tracked configuration';
  if (s.endsWith('\\')) return 'ends with a line continuation and nothing after it';
  if (DIRECTIVE.test(s) || EXPORT_UNSET.test(s)) return undefined;
  if (/^inherit\s/.test(s)) return '"inherit" does not work in a conf file: use INHERIT += "class"';
  const m = ASSIGNMENT.exec(s);
  if (!m) return `"${s.slice(0, 60)}" is not a BitBake conf statement (VAR = "value", VAR:append = " x", include/require FILE)`;
  const variable = m[2]!.split(':')[0]!;
  if (OWNED.has(variable)) return `${variable} is set by vvehicle from the configuration (${variable === 'MACHINE' ? 'machine' : 'AGL: always "agl"'}); do not override it here`;
  const value = m[5]!;
  const quote = value[0];
  if ((quote !== '"' && quote !== "'") || value.length < 2 || value[value.length - 1] !== quote) return `the value of ${m[2]} must be one quoted string ("…" or '…')`;
  const inner = value.slice(1, -1);
  if (inner.replace(/\\./g, '').includes(quote)) return `the value of ${m[2]} has an unescaped ${quote} inside`;
  return undefined;
}
