import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../errors.js';
import type { PipelineState, StageTask } from '../pipeline/stages/types.js';
import { throttledProgress } from '../pipeline/stages/progress.js';
import { recipesInTaskGraph, unexpectedWarnings } from '../tools/bitbake.js';
import { runBitbake } from './bitbake-run.js';
import { buildPaths } from './configure.js';
import { configuredLayerNames } from './configured-layers.js';
import { containerSetupFor } from '../container/container-setup.js';

/** Recipes that must be in the task graph for each enabled component of the plan. */
export function expectedRecipes(state: PipelineState): { component: string; recipes: string[] }[] {
  const c = state.context.loaded.config.components;
  const out: { component: string; recipes: string[] }[] = [];
  if (c.ueransim.enabled) out.push({ component: 'ueransim', recipes: ['ueransim'] });
  if (c.otelcolContrib.enabled) out.push({ component: 'otelcol-contrib', recipes: ['otelcol-contrib'] });
  if (c.nodeExporter.enabled) out.push({ component: 'node-exporter', recipes: ['node-exporter'] });
  if (c.ebpf.enabled) out.push({ component: 'ebpf', recipes: [...c.ebpf.tools] });
  out.push({ component: 'systemd-networkd', recipes: ['vvehicle-network', 'systemd'] });
  out.push({ component: 'image', recipes: ['packagegroup-vvehicle', state.context.plan.image.target] });
  return out;
}

/** Recipes that must NOT be in the graph: connman (and connman-conf, …) is what AGL uses and we replace. */
export const FORBIDDEN_RECIPES: readonly { name: string; pattern: RegExp }[] = [{ name: 'connman', pattern: /^connman(-|$)/ }];

export interface CheckReport {
  layers: string[];
  present: { component: string; recipe: string }[];
  missing: { component: string; recipe: string }[];
  forbiddenPresent: string[];
  warnings: string[];
  logFile: string;
}

/**
 * `bitbake -g <target>` in the container, offline; then judge warnings and the task graph. One bitbake
 * run: -g parses every recipe before it resolves the graph (the same parse, errors and warnings as
 * `bitbake -p`), so a separate -p would only load the parse cache a second time, and the layer list
 * comes from the conf files bitbake read (configured-layers.ts) instead of a show-layers server start.
 */
export async function runChecks(state: PipelineState, task: StageTask): Promise<CheckReport> {
  const setup = containerSetupFor(state);
  const logFile = state.bitbakeLog!;
  const target = state.context.plan.image.target;
  const title = `bitbake -g ${target} (parse every recipe, then the task graph)`;
  task.output = title;
  const result = await runBitbake(setup, { kind: 'graph', target }, {
    network: 'none',
    signal: state.signal,
    logFile,
    onProgress: throttledProgress((text) => (task.output = `${title}: ${text}`)),
  });
  const warnings = unexpectedWarnings(result.summary.warnings);
  const paths = buildPaths(state.context.plan, state.context.workDir);
  const dotFile = join(paths.topdir, 'task-depends.dot');
  if (!existsSync(dotFile)) throw new ToolError('bitbake -g', 1, '', `bitbake -g did not write ${dotFile}`);
  const recipes = recipesInTaskGraph(readFileSync(dotFile, 'utf8'));
  const report = judge(state, recipes, warnings, configuredLayerNames(paths.conf), logFile);
  if (report.warnings.length || report.missing.length || report.forbiddenPresent.length) {
    const problems = [
      ...report.warnings.map((w) => `unexpected ${w}`),
      ...report.missing.map((m) => `${m.component}: recipe ${m.recipe} is not in the task graph of ${target}`),
      ...report.forbiddenPresent.map((r) => `${r} is in the task graph of ${target} (it must be replaced by systemd-networkd)`),
    ];
    throw new ToolError('vvehicle check', 1, problems.join('\n'), `check failed: ${problems.length} problem(s); full output: ${logFile}`);
  }
  return report;
}

export function judge(state: PipelineState, recipes: Set<string>, warnings: string[], layers: string[], logFile: string): CheckReport {
  const present: CheckReport['present'] = [];
  const missing: CheckReport['missing'] = [];
  for (const { component, recipes: wanted } of expectedRecipes(state)) {
    for (const recipe of wanted) (recipes.has(recipe) ? present : missing).push({ component, recipe });
  }
  const forbiddenPresent = [...recipes].filter((r) => FORBIDDEN_RECIPES.some((f) => f.pattern.test(r))).sort();
  return { layers, present, missing, forbiddenPresent, warnings, logFile };
}

export function formatCheckReport(report: CheckReport): string {
  const byComponent = new Map<string, string[]>();
  for (const p of report.present) byComponent.set(p.component, [...(byComponent.get(p.component) ?? []), p.recipe]);
  return [
    `layers (${report.layers.length}): ${report.layers.join(' ')}`,
    'in the task graph:',
    ...[...byComponent].map(([component, recipes]) => `  ok  ${component.padEnd(17)} ${recipes.join(', ')}`),
    ...FORBIDDEN_RECIPES.map((f) => `  ok  ${f.name} is not in the task graph (no recipe matches ${f.pattern})`),
    `no unexpected warnings; full output: ${report.logFile}`,
  ].join('\n');
}
