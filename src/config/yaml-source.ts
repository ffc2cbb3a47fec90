import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, Scalar, visit, type Alias, type Document, type Node } from 'yaml';
import type { ConfigProblem } from '../errors.js';

/** A parsed YAML file that can say where any path in it was written. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export type PathSegment = string | number;

export function readYamlSource(file: string, displayName: string = file): { source?: YamlSource; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { problems: [{ file: displayName, line: 1, col: 1, path: '', message: `cannot read: ${reason}` }] };
  }
  return parseYamlText(text, displayName);
}

export function parseYamlText(text: string, file: string): { source?: YamlSource; problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, col: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
  });
  if (problems.length) return { problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    // an alias bomb ("billion laughs"): yaml stops expanding it; say where, as for any bad line
    const alias = culpritAlias(doc);
    const pos = lines.linePos(alias?.range?.[0] ?? 0);
    return { problems: [{ file, line: pos.line, col: pos.col, path: '', message: `YAML: aliases here expand to more than ${MAX_ALIAS_COUNT} nodes (nested anchors, a "billion laughs" alias bomb?); write the values out or alias less` }] };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ file, line: 1, col: 1, path: '', message: 'must be a YAML mapping (key: value lines)' }] };
  }
  return { source: { file, doc, lines, value }, problems: [] };
}

/** yaml's own default: a config needs a handful of aliases; nested ones multiply (9 levels of 9 = 387 M nodes). */
const MAX_ALIAS_COUNT = 100;

/**
 * The alias at which expansion exceeds the limit: the first one (in document order, the order toJS
 * expands them) whose document, with every later alias blanked out, already fails to expand.
 */
function culpritAlias(doc: Document.Parsed): Alias | undefined {
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_key, node) => void aliases.push(node) });
  for (let k = 0; k < aliases.length; k++) {
    const trial = doc.clone();
    let seen = 0;
    visit(trial, { Alias: () => (seen++ > k ? new Scalar(null) : undefined) });
    try {
      trial.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch {
      return aliases[k];
    }
  }
  return undefined;
}

/**
 * Where `path` was written in this file: the key (for an unknown key) or the value node.
 * Returns undefined when the file does not contain the path at all.
 */
export function locateIn(source: YamlSource, path: readonly PathSegment[], atKey = false): { line: number; col: number } | undefined {
  let node: unknown = source.doc.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      keyNode = undefined;
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  const target = (atKey && keyNode ? keyNode : (node as Node | null)) ?? keyNode;
  const offset = target?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = source.lines.linePos(offset);
  return { line: pos.line, col: pos.col };
}
