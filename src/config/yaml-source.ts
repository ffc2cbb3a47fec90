import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
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
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ file, line: 1, col: 1, path: '', message: 'must be a YAML mapping (key: value lines)' }] };
  }
  return { source: { file, doc, lines, value }, problems: [] };
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
