import type { Config } from './schema.js';
import type { SemanticProblem } from './semantics.js';

/**
 * Shared build caches, refused here rather than warned about by bitbake. poky's sanity.bbclass warns
 * when SSTATE_MIRRORS is set while BB_HASHSERVE is a local (unix://, i.e. `auto`) server with no
 * BB_HASHSERVE_UPSTREAM: that local server knows none of the hashes the mirror was built with, so
 * little of the mirror would match. `check` fails on any unexpected WARNING, so the combination is a
 * configuration error, located, with the two ways out.
 */
export function cacheProblems(config: Config): SemanticProblem[] {
  const b = config.build;
  const problems: SemanticProblem[] = [];
  b.sstateMirrors.forEach((mirror, i) => {
    // sanity.bbclass warns "Invalid protocol in SSTATE_MIRRORS" for anything else
    if (!/^(?:file:\/\/\/|https?:\/\/)/.test(mirror)) {
      problems.push({ path: ['build', 'sstateMirrors', i], message: 'must be a file:///absolute/path or http(s):// URL of an sstate mirror' });
    }
  });
  if (b.hashEquivalenceUpstream && b.hashEquivalence !== 'auto') {
    problems.push({
      path: ['build', 'hashEquivalenceUpstream'],
      message: `only applies with hashEquivalence: auto (bitbake's own local server pulls from it); the server at ${b.hashEquivalence === 'off' ? 'nowhere (hashEquivalence is off)' : b.hashEquivalence} gets its upstream from \`vvehicle cache serve --upstream\``,
    });
  }
  if (b.sstateMirrors.length && b.hashEquivalence === 'auto' && !b.hashEquivalenceUpstream) {
    problems.push({
      path: ['build', 'sstateMirrors'],
      message:
        'an sstate mirror with a local hash server (hashEquivalence: auto) matches little of the mirror, and bitbake warns about it: ' +
        'set build.hashEquivalence to host:port of the hash server that goes with this mirror, or build.hashEquivalenceUpstream to it, or hashEquivalence: off',
    });
  }
  return problems;
}
