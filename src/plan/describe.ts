import type { BuildPlan } from './types.js';

/** The human summary `vvehicle plan` prints. */
export function describePlan(plan: BuildPlan<string | null>): string {
  const out: string[] = [];
  out.push(`${plan.name} ${plan.version}  (profile ${plan.profile}, config ${plan.configDigest.slice(0, 19)}…)`);
  out.push(`AGL ${plan.agl.release} "${plan.agl.codename}" on Yocto ${plan.agl.yoctoSeries}, MACHINE=${plan.machine}, DISTRO=${plan.distro}`);
  out.push(`image: ${plan.image.target} = ${plan.image.base} + packagegroup-vvehicle`);
  out.push('', 'sources:');
  const width = Math.max(...plan.repos.map((r) => r.name.length));
  for (const r of plan.repos) {
    if (r.kind === 'local') {
      const c = r.content;
      const state = c.kind === 'git' ? `git work tree at ${c.commit.slice(0, 12)}${c.dirty ? ', with uncommitted changes' : ', clean'}` : 'plain directory';
      out.push(`  ${r.name.padEnd(width)}  local         ${r.path}  (used in place: ${state}; content sha256:${c.sha256.slice(0, 12)}…)`);
      continue;
    }
    const pin = r.commit ? `${r.commit.slice(0, 12)}` : 'UNPINNED    ';
    const by = r.commit ? `pinned by ${r.pinnedBy}` : 'unpinned: follows the branch tip; `vvehicle lock` pins it';
    out.push(`  ${r.name.padEnd(width)}  ${pin}  ${r.branch ?? '-'}  ${r.url}  (${by})`);
    for (const p of r.patches ?? []) {
      out.push(`  ${''.padEnd(width)}  + patch ${p.id}: ${p.series ? `${p.entry}/series (${p.files.length} patch${p.files.length === 1 ? '' : 'es'})` : p.entry}  sha256:${p.files.map((f) => f.sha256.slice(0, 12)).join(',')}  (${p.declaredAt})`);
    }
  }
  out.push('', 'BBLAYERS:', ...plan.bblayers.map((l) => `  ${l}`));
  out.push('', 'components:');
  for (const c of plan.components) out.push(`  ${c.enabled ? '+' : '-'} ${c.name}${c.version ? ` ${c.version}` : ''}`);
  out.push('', 'conf/vvehicle.conf:', ...plan.managedConf.map((l) => `  ${l}`));
  if (plan.environment) out.push('', 'from the environment:', ...Object.entries(plan.environment).map(([k, v]) => `  ${k}=${v}`));
  out.push('', `stages: ${plan.stages.map((s) => s.id).join(' → ')}`);
  out.push('', 'expected artifacts (in the build dir):');
  for (const a of plan.artifacts) out.push(`  ${a.role.padEnd(16)} ${a.path}${a.required ? '' : '  (optional)'}`);
  return out.join('\n');
}
