import { UserError } from '../errors.js';

/** A premirror-style URL rewrite: a URL starting with `from` is fetched from `to` + the rest. */
export interface RewriteRule {
  from: string;
  to: string;
}

/** `--rewrite FROM=TO` → a rule; the first "=" separates them (git URLs do not contain one). */
export function parseRewriteFlag(flag: string): RewriteRule {
  const at = flag.indexOf('=');
  const from = at > 0 ? flag.slice(0, at) : '';
  const to = at > 0 ? flag.slice(at + 1) : '';
  if (!from || !to) {
    throw new UserError(`--rewrite ${flag}: expected FROM=TO`, 'e.g. --rewrite https://git.yoctoproject.org/poky=file:///mirrors/poky.git');
  }
  return { from, to };
}

/** Flags come after the config's rules so a command line can add mirrors; the first matching rule wins. */
export function combineRules(config: readonly RewriteRule[], flags: readonly string[] = []): RewriteRule[] {
  return [...flags.map(parseRewriteFlag), ...config];
}

/** The URL git actually talks to. A rule matches the whole URL or a prefix ending at a path boundary. */
export function rewriteUrl(url: string, rules: readonly RewriteRule[]): string {
  for (const { from, to } of rules) {
    if (url === from) return to;
    if (url.startsWith(from) && (from.endsWith('/') || url[from.length] === '/')) return to + url.slice(from.length);
  }
  return url;
}

/** What to print: the URL fetched, and the canonical one when a rule changed it. */
export function describeUrl(url: string, fetchUrl: string): string {
  return fetchUrl === url ? url : `${fetchUrl} (rewritten from ${url})`;
}
