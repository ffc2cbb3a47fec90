import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { leftoverContainers, loggedContainerNames, makeBuildProject, withEnv, type BuildProject } from '../helpers/build-project.js';
import { ENGINES, testEngine } from '../helpers/engines.js';

describe.each(ENGINES)('vvehicle check in %s (stub bitbake replaying recorded real output)', (engineName) => {
  let project: BuildProject;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), `vvehicle-check-${engineName}-`));
    project = await makeBuildProject(root, await testEngine(engineName));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs show-layers, -p and -g offline, and fails on AGL\'s own graph: connman in it, our components missing', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-agl');
    const r = await runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: check failed: ');
    expect(r.stderr).toContain('ueransim: recipe ueransim is not in the task graph of vvehicle-image');
    expect(r.stderr).toContain('connman is in the task graph of vvehicle-image (it must be replaced by systemd-networkd)');
    expect(r.stderr).toContain('connman-conf is in the task graph of vvehicle-image');
    const record = readFileSync(join(work, 'build/project/stub-record'), 'utf8');
    expect(record.split('\n').filter((l) => l.startsWith('argv='))).toEqual([
      'argv=bitbake-layers show-layers',
      'argv=bitbake --parse-only',
      'argv=bitbake --graphviz vvehicle-image',
    ]);
    // --network none: the container sees only the loopback interface
    expect(record.split('\n').filter((l) => l.startsWith('net='))).toEqual(['net=lo', 'net=lo', 'net=lo']);
    expect(await leftoverContainers(project.engine, loggedContainerNames(work))).toEqual([]);
  });

  it('passes on the task graph real bitbake produced for vvehicle-image, and says what it found', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-vvehicle');
    const r = await withEnv({ STUB_GRAPH: 'vvehicle-image.task-depends.dot' }, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('in the task graph:\n  ok  ueransim          ueransim\n  ok  otelcol-contrib   otelcol-contrib\n  ok  node-exporter     node-exporter\n  ok  ebpf              bpftool, bcc, bpftrace\n');
    expect(r.stdout).toContain('  ok  connman is not in the task graph');
    expect(r.stdout).toMatch(/^layers \(10\): core yocto .* aglbsp$/m);
  });

  it('fails on an unexpected WARNING line even though bitbake exits 0', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-warning');
    const r = await withEnv({ STUB_PARSE_LOG: 'bitbake-success.log' }, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unexpected WARNING: Buildfile specified, dependencies will not be handled.');
  });
});
