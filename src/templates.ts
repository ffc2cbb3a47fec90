import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from './package-paths.js';

// one isolated Handlebars with the house settings: no HTML escaping, an unknown name is an error
const handlebars = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/<name>: every text vvehicle generates goes through here. */
export function renderTemplate(name: string, data: object): string {
  let template = compiled.get(name);
  if (!template) {
    template = handlebars.compile(readFileSync(join(templatesDir, name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(data);
}
