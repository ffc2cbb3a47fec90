import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('runs one bitbake -g offline (it parses every recipe), and fails on AGL\'s own graph: connman in it, our components missing', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-agl');
    const r = await runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: check failed: ');
    expect(r.stderr).toContain('ueransim: recipe ueransim is not in the task graph of vvehicle-image');
    expect(r.stderr).toContain('connman is in the task graph of vvehicle-image (it must be replaced by systemd-networkd)');
    expect(r.stderr).toContain('connman-conf is in the task graph of vvehicle-image');
    const record = readFileSync(join(work, 'build/project/stub-record'), 'utf8');
    // -g parses every recipe before it resolves the graph: no separate show-layers or -p server start
    expect(record.split('\n').filter((l) => l.startsWith('argv='))).toEqual(['argv=bitbake --graphviz vvehicle-image']);
    // --network none: the container sees only the loopback interface
    expect(record.split('\n').filter((l) => l.startsWith('net='))).toEqual(['net=lo']);
    expect(await leftoverContainers(project.engine, loggedContainerNames(work))).toEqual([]);
  });

  it('passes on the task graph real bitbake produced for vvehicle-image, and says what it found', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-vvehicle');
    const r = await withEnv({ STUB_GRAPH: 'vvehicle-image.task-depends.dot' }, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('in the task graph:\n  ok  ueransim          ueransim\n  ok  otelcol-contrib   otelcol-contrib\n  ok  node-exporter     node-exporter\n  ok  ebpf              bpftool, bcc, bpftrace\n');
    expect(r.stdout).toContain('  ok  connman is not in the task graph');
    // from conf/bblayers.conf and each layer's conf/layer.conf, in BBLAYERS order, as show-layers names them
    expect(r.stdout).toContain('\nlayers (11): core yocto scarthgap-rust-mixin openembedded-layer meta-python networking-layer filesystems-layer clang-layer aglcore aglbsp vvehicle\n');
  });

  it('fails on an unexpected WARNING line even though bitbake exits 0', { timeout: 240_000 }, async () => {
    const work = join(root, 'work-warning');
    const r = await withEnv({ STUB_GRAPH_LOG: 'bitbake-success.log', STUB_GRAPH: 'vvehicle-image.task-depends.dot' }, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unexpected WARNING: Buildfile specified, dependencies will not be handled.');
  });

  it('a warm rerun with nothing changed re-renders nothing, starts no probe container, and runs bitbake again', { timeout: 480_000 }, async () => {
    const work = join(root, 'work-warm');
    const env = { STUB_GRAPH: 'vvehicle-image.task-depends.dot' };
    const cold = await withEnv(env, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs]));
    expect(cold.code).toBe(0);
    const stageRecords = () => Object.fromEntries(['sources', 'layer', 'configure', 'builder'].map((s) => [s, readFileSync(join(work, '.state', `${s}.json`), 'utf8')]));
    const confMtimes = () => ['bblayers.conf', 'vvehicle.conf'].map((f) => statSync(join(work, 'build/project/conf', f)).mtimeMs);
    const before = { records: stageRecords(), conf: confMtimes() };
    // every engine call of the warm run, recorded by a wrapper in front of the real client
    const shim = join(root, 'engine-shim');
    mkdirSync(shim, { recursive: true });
    const calls = join(shim, 'calls');
    const realClient = project.engine.program.startsWith('/')
      ? project.engine.program
      : (process.env.PATH ?? '').split(':').map((d) => join(d, project.engine.program)).find((p) => existsSync(p))!;
    const wrapper = join(shim, project.engine.name);
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realClient}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const warm = await withEnv({ ...env, PATH: `${shim}:${process.env.PATH}` }, () => runCli(['check', '-c', project.config, '-w', work, ...project.rewriteArgs, ...(project.engine.program.startsWith('/') ? ['--engine-client', wrapper] : [])]));
    expect(warm.stderr).toBe('');
    expect(warm.code).toBe(0);
    // skipped stages keep the record of the run that made their outputs, and no conf file was rewritten
    expect(stageRecords()).toEqual(before.records);
    expect(confMtimes()).toEqual(before.conf);
    const engineCalls = readFileSync(calls, 'utf8').trim().split('\n');
    // the engine probes: podman info / run --rootfs, docker version / import / run of a throwaway busybox
    expect(engineCalls.filter((c) => /--rootfs|(^| )(info|version|import)( |$)/.test(c))).toEqual([]);
    // bitbake itself ran again: one more command in the stub's record
    expect(readFileSync(join(work, 'build/project/stub-record'), 'utf8').split('\n').filter((l) => l.startsWith('argv='))).toHaveLength(2);
  });
});
