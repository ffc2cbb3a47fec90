import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../package-paths.js';

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/<name> with the house settings: no HTML escaping, unknown names are errors. */
export function renderTemplate(name: string, data: object): string {
  let template = compiled.get(name);
  if (!template) {
    template = Handlebars.compile(readFileSync(join(templatesDir, name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(data);
}
