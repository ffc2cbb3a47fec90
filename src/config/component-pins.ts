import { isPlainObject } from './merge.js';
import { checkedRelease, PIN_RULES, type PinRule } from './releases.js';
import type { Config, ParsedConfig } from './schema.js';
import { locateIn, type PathSegment, type YamlSource } from './yaml-source.js';
import type { SemanticProblem } from './semantics.js';

/**
 * A component's pinned value (UERANSIM's srcrev, an archive's sha256) belongs to one version. When a more
 * derived file changes `version` but the pin comes from a file further down the chain (a profile), the pin
 * belongs to another release: drop it, so the version is resolved by resolvePins() instead of silently
 * rendering a recipe whose checksum or commit (and so licence) is that of another release.
 * `chain` is most derived first, the order the merge applies them in reverse.
 */
export function dropInheritedPins(merged: unknown, chain: YamlSource[]): unknown {
  if (!isPlainObject(merged) || !isPlainObject(merged.components)) return merged;
  const components: Record<string, unknown> = { ...merged.components };
  for (const rule of PIN_RULES) {
    const component = components[rule.component];
    if (!isPlainObject(component) || !(rule.pinKey in component)) continue;
    const versionAt = firstWriter(chain, ['components', rule.component, 'version']);
    const pinAt = firstWriter(chain, ['components', rule.component, rule.pinKey]);
    if (versionAt !== undefined && pinAt !== undefined && versionAt < pinAt) {
      const { [rule.pinKey]: _stale, ...rest } = component;
      components[rule.component] = rest;
    }
  }
  return { ...merged, components };
}

function firstWriter(chain: YamlSource[], path: PathSegment[]): number | undefined {
  const index = chain.findIndex((src) => locateIn(src, path) !== undefined);
  return index < 0 ? undefined : index;
}

/**
 * Fills each missing pin from the table of checked releases; a version that is not in it must come with its
 * own value (problem at the `version` that needs it). A given sha256 that contradicts the checked published
 * one is refused too: the upstream archive cannot have two sums. (A srcrev may differ: a fork's commit.)
 */
export function resolvePins(parsed: ParsedConfig): { config?: Config; problems: SemanticProblem[] } {
  const problems: SemanticProblem[] = [];
  const components: Record<string, unknown> = { ...parsed.components };
  for (const rule of PIN_RULES) {
    const component = parsed.components[rule.component] as { version: string } & Partial<Record<PinRule['pinKey'], string>>;
    const given = component[rule.pinKey];
    const checked = checkedRelease(rule, component.version);
    const key = `components.${rule.component}.${rule.pinKey}`;
    if (given === undefined && checked) {
      components[rule.component] = { ...component, [rule.pinKey]: checked.value };
    } else if (given === undefined) {
      const known = rule.checked.map((r) => r.version).join(', ');
      problems.push({
        path: ['components', rule.component, 'version'],
        message:
          `${component.version} needs ${key}: ${rule.describe(component.version)}. ` +
          `vvehicle has checked values only for ${known}; give the value next to the version, or pick one of those`,
      });
    } else if (checked && rule.pinKey === 'sha256' && given !== checked.value) {
      problems.push({
        path: ['components', rule.component, 'sha256'],
        message: `is not ${rule.describe(component.version)}, which is ${checked.value} (checked in ${checked.sources.length} public sources); remove it or correct it`,
      });
    }
  }
  if (problems.length) return { problems };
  return { config: { ...parsed, components } as Config, problems };
}
