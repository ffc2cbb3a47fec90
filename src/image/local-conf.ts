import { existsSync, readFileSync } from 'node:fs';
import { renderTemplate } from '../templates.js';
import { sha256Hex } from '../plan/digest.js';

/** What the manifest says about conf/local.conf, the one build input vvehicle does not manage. */
export interface LocalConfRecord {
  sha256: string;
  /** true when it holds statements besides the ones vvehicle created it with (comments and blank lines aside). */
  userSettings: boolean;
}

const statements = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

export function localConfRecord(file: string): LocalConfRecord | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const created = statements(renderTemplate('build/local.conf.hbs', {}));
  return { sha256: sha256Hex(text), userSettings: statements(text).join('\n') !== created.join('\n') };
}
