import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot, templatesDir } from './package-paths.js';
import { sha256Hex } from './plan/digest.js';

// one isolated Handlebars with the house settings: no HTML escaping, an unknown name is an error
export const TEMPLATE_OPTIONS = { noEscape: true, strict: true } as const;
const handlebars = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/**
 * `npm run build` precompiles every template (scripts/bundle.mjs): compiling them at run time was most of
 * `vvehicle layer`'s own CPU time. Each entry carries the sha256 of the text it was made from, so an
 * edited template (or a missing file, when running from src/) is compiled from its text as before.
 */
export const PRECOMPILED_TEMPLATES = join(packageRoot, 'dist', 'templates.precompiled.cjs');
type Precompiled = Record<string, { sha256: string; spec: TemplateSpecification }>;
let precompiled: Precompiled | null | undefined;

function precompiledSpec(name: string, text: string): TemplateSpecification | undefined {
  precompiled ??= existsSync(PRECOMPILED_TEMPLATES) ? (createRequire(import.meta.url)(PRECOMPILED_TEMPLATES) as Precompiled) : null;
  const entry = precompiled?.[name];
  return entry && entry.sha256 === sha256Hex(text) ? entry.spec : undefined;
}

/** Renders templates/<name>: every text vvehicle generates goes through here. */
export function renderTemplate(name: string, data: object): string {
  let template = compiled.get(name);
  if (!template) {
    const text = readFileSync(join(templatesDir, name), 'utf8');
    const spec = precompiledSpec(name, text);
    template = spec ? handlebars.template(spec) : handlebars.compile(text, TEMPLATE_OPTIONS);
    compiled.set(name, template);
  }
  return template(data);
}
