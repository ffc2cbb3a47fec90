import junitModule, { type Builder } from 'junit-report-builder';
import type { SmokeResult } from './types.js';

// The package is CommonJS with an ES-style `export default` in its types: under NodeNext TypeScript
// sees the module object, while Node hands us module.exports, which is the builder itself.
const junit = junitModule as unknown as Builder;

/** One JUnit testcase per console expectation and per probe, so CI shows which stage broke. */
export function smokeJunitXml(result: Omit<SmokeResult, 'junit'>, suiteName = 'vvehicle smoke'): string {
  const builder = junit.newBuilder();
  const suite = builder.testSuite().name(suiteName).property('accel', result.accel).property('disk', result.disk);
  for (const stage of result.stages) {
    const testCase = suite.testCase().className('smoke.boot').name(stage.title).time(stage.durationMs / 1000);
    if (stage.status === 'fail') testCase.failure(stage.message ?? 'failed');
    if (stage.status === 'skipped') testCase.skipped();
  }
  for (const probe of result.probes) {
    const testCase = suite.testCase().className('smoke.probe').name(probe.id).time(probe.durationMs / 1000);
    if (probe.status === 'fail') testCase.failure(probe.detail);
    if (probe.status === 'skipped') testCase.skipped().standardOutput(probe.detail);
  }
  return builder.build();
}
