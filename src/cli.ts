#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { describeError, exitCodeFor, Interrupted, UserError } from './errors.js';
import { machineFault } from './faults.js';
import { toolVersion } from './package-paths.js';
import { STAGE_IDS } from './plan/types.js';
import { installSignalHandlers, runCleanups, runSignal } from './signals.js';

/**
 * Commander wiring only. Every error becomes an exit code here and nowhere else.
 * Commands are imported when they run, so `plan` does not pay for podman, QEMU and listr2 code.
 */
const collect = (value: string, previous: string[] = []) => [...previous, value];

function withCommon(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'project file; repeat it (or join with ":") to merge files in order, e.g. -c base.yml -c ci.yml (default: ./vvehicle.yml if present, else the embedded gateway-qemuarm64 profile)', collect)
    .option('-w, --work-dir <dir>', 'work directory (default: $VVEHICLE_WORK_DIR, else ./vvehicle-work)')
    .option('--debug', 'show stack traces for internal errors');
}

function program(out: (text: string) => void): { cli: Command; setExit: (code: number) => void; exit: () => number } {
  let exitCode = 0;
  const cli = new Command('vvehicle')
    .description('Builds, smoke-boots and publishes the golden AGL virtual-vehicle qcow2 image')
    .version(toolVersion)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withCommon(cli.command('plan').description('print the resolved build plan (pure: reads only the config)'))
    .option('--json', 'print the plan as JSON')
    .action(async (opts) => out((await import('./commands/plan.js')).planCommand(opts)));

  withCommon(cli.command('schema').description('print the JSON Schema of vvehicle.yml')).action(async () => out((await import('./commands/schema.js')).schemaCommand()));

  withCommon(cli.command('doctor').description('check this host can build, convert and boot the image'))
    .addOption(new Option('--engine <engine>', 'container engine').choices(['auto', 'docker', 'podman']))
    .option('--engine-arg <arg>', 'global engine option, repeatable (e.g. --engine-arg=--runtime --engine-arg=runc)', collect)
    .option('--engine-client <path>', 'the engine\'s client program (default: docker/podman on PATH), e.g. /usr/bin/docker')
    .option('--fleet', 'check what `vvehicle fleet` needs instead of a build: qemu-img, virsh, libvirt answering at --connect, aarch64 guests (kvm or qemu) there')
    .option('--connect <uri>', 'libvirt URI for --fleet (default qemu:///system; implies --fleet)')
    .option('--json', 'print the checks as JSON')
    .action(async (opts) => {
      const { text, ok } = await (await import('./commands/doctor.js')).doctorCommand(opts);
      out(text);
      if (!ok) exitCode = 2;
    });

  withCommon(cli.command('layer').description('render the Yocto layer meta-vvehicle from the configuration'))
    .option('-o, --out <dir>', 'output directory (default: <work-dir>/layers/meta-vvehicle)')
    .action(async (opts) => out(await (await import('./commands/layer.js')).layerCommand(opts)));

  withCommon(cli.command('smoke').description('boot the image once on a throwaway overlay under QEMU and judge it from the serial console and probes'))
    .option('--from <dir>', 'convert output directory whose convert.json names the qcow2 and kernel (default: <work-dir>/out/<name>-<version>)')
    .option('--disk <qcow2>', 'qcow2 base image to boot (never written: QEMU boots an overlay)')
    .option('--kernel <file>', 'kernel Image for direct kernel boot')
    .option('--initrd <file>', 'initramfs, if the kernel needs one')
    .option('--append <args>', 'extra kernel arguments after "root=/dev/vda rw console=ttyAMA0"')
    .addOption(new Option('--accel <accel>', 'accelerator (default: smoke.accel)').choices(['auto', 'kvm', 'tcg']))
    .option('--timeout <seconds>', 'cap on the whole boot and probes (stage timeouts come from smoke.timeouts)')
    .option('--memory <MiB>', 'guest memory (default: smoke.memoryMiB)')
    .option('--cpus <n>', 'guest CPUs (default: smoke.cpus)')
    .option('--credential <name=value>', 'identity credential passed to the guest instead of the test one, repeatable (e.g. vvehicle.vehicle-id=bench-01; NAME= leaves it out)', collect)
    .option('--no-identity', 'pass no identity: the vehicle must boot, report identity "missing" and leave nr-ue not started')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--console-log <file>', 'serial console log (default: next to the image, or <work-dir>/logs)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      await (await import('./commands/smoke.js')).smokeCommand(opts, out);
    });

  // build: sources, lock, configure, builder, check, build (issue 4)
  const withSources = (cmd: Command) =>
    cmd
      .option('--rewrite <from=to>', 'fetch a repository URL starting with FROM from TO instead (premirror style), repeatable', collect)
      .option('--reference-dir <dir>', 'reference clones named after each URL (created, then refreshed with a fetch)')
      .option('--force', 'discard local changes in a checkout that has to move (to rerun a stage: build --force-stage S)');
  const withEngine = (cmd: Command) =>
    cmd
      .addOption(new Option('--engine <engine>', 'container engine (default: build.engine)').choices(['auto', 'docker', 'podman']))
      .option('--engine-arg <arg>', 'global engine option, repeatable (e.g. --engine-arg=--runtime --engine-arg=runc)', collect)
      .option('--engine-client <path>', 'the engine\'s client program (default: build.engineClient, else docker/podman on PATH), e.g. /usr/bin/docker')
      .option('--debootstrap-mirror <url>', 'make the builder base image from this Debian mirror (no registry needed; needs root; overrides build.builderBase and is remembered in the work dir)')
      .option('--min-free-gib <GiB>', 'refuse to start with less free space than this in the work dir');

  withSources(withCommon(cli.command('sources').description('check out every layer repository at its pinned commit')))
    .action(async (opts) => out(await (await import('./commands/sources.js')).sourcesCommand(opts)));

  withCommon(cli.command('lock').description('pin branch-only repositories in <project>.lock.yml (existing pins are kept)'))
    .argument('[repos...]', 'with --update: the repositories to move (default: all)')
    .option('--update', 'move pins to the current branch tips (all, or the REPOs named)')
    .option('--check', 'exit 2 unless the lock file fits the configuration (for CI; offline, writes nothing)')
    .option('--rewrite <from=to>', 'fetch a repository URL starting with FROM from TO instead, repeatable', collect)
    .action(async (repos: string[], opts) => {
      if (repos.length && !opts.update) throw new UserError(`lock ${repos.join(' ')}: naming repositories needs --update`, 'vvehicle lock --update REPO…');
      if (opts.check && opts.update) throw new UserError('lock: --check and --update exclude each other');
      out(await (await import('./commands/lock.js')).lockCommand({ ...opts, update: opts.update ? (repos.length ? repos : true) : undefined }));
    });

  withCommon(cli.command('configure').description('write the bitbake build directory (bblayers.conf, vvehicle.conf; local.conf once)'))
    .action(async (opts) => out((await import('./commands/configure.js')).configureCommand(opts)));

  withEngine(withCommon(cli.command('builder').description('build (or take build.image) the builder container image and record its id')))
    .action(async (opts) => out(await (await import('./commands/builder.js')).builderCommand(opts, (text) => process.stderr.write(`${text}\n`))));

  withEngine(withSources(withCommon(cli.command('check').description('fast gate: parse the layers and resolve the image task graph in the container, offline'))))
    .action(async (opts) => out(await (await import('./commands/check.js')).checkCommand(opts)));

  const cache = cli.command('cache').description('shared build caches: the hash-equivalence server builds share');
  withEngine(withSources(withCommon(cache.command('serve').description("run poky's bitbake-hashserv (from the pinned poky, in the builder container) until Ctrl-C"))))
    .option('--bind <host:port>', 'address to listen on; :PORT for every address (default 127.0.0.1:8686)')
    .option('--database <file>', 'sqlite database, kept across restarts (default <work-dir>/hashserv/hashserv.db)')
    .option('--read-only', 'answer queries but accept no reports (for CI consumers)')
    .option('--upstream <host:port>', 'pull hashes this server lacks from another server')
    .option('--log-level <level>', 'DEBUG, INFO, WARNING or ERROR (default INFO)')
    .option('--ready-timeout <sec>', 'give up when the server does not accept connections within this long (default 60)')
    .action(async (opts) => (await import('./commands/cache.js')).cacheServeCommand(opts, out));

  withEngine(withSources(withCommon(cli.command('build').description('run the pipeline by stage id; unchanged stages are skipped'))))
    .argument('[bitbake-args...]', 'after --: more arguments for bitbake (e.g. -- -v ueransim)')
    .option('--only <ids>', 'run only these stages (comma-separated or repeated)', collect)
    .option('--skip <ids>', 'skip these stages (comma-separated or repeated)', collect)
    .option('--until <id>', 'stop after this stage')
    .option('--force-stage <ids>', 'run these stages even if nothing changed (comma-separated or repeated)', collect)
    .option('--target <name>', 'what bitbake builds instead of image.target (the run then stops after the bitbake stage)')
    .option('--task <task>', 'bitbake task to run (bitbake -c; vvehicle\'s -c is --config), e.g. --task cleansstate --target ueransim')
    .option('-k, --continue', 'bitbake -k: keep going after a failed task')
    .addHelpText('after', `\nStage ids, in order: ${STAGE_IDS.join(' ')}\n(--only/--skip/--until/--force-stage take these; --force discards local changes in checkouts)`)
    .action(async (bitbakeArgs: string[], opts) => out(await (await import('./commands/build.js')).buildCommand(opts, bitbakeArgs)));

  withEngine(withSources(withCommon(cli.command('shell').description('interactive shell in the builder container with the build environment sourced (like kas shell)'))))
    .argument('[command...]', 'after --: run this instead of a shell, e.g. -- devtool modify ueransim')
    .action(async (command: string[], opts) => {
      exitCode = await (await import('./commands/shell.js')).shellCommand(opts, command);
    });

  withEngine(withSources(withCommon(cli.command('bitbake').description('run bitbake with these arguments in the builder container (= shell -- bitbake ARGS)'))))
    .argument('<bitbake-args...>', 'after --, e.g. -- -e virtual/kernel, -- -c devshell ueransim, -- -c populate_sdk vvehicle-image')
    .action(async (args: string[], opts) => {
      exitCode = await (await import('./commands/shell.js')).shellCommand(opts, ['bitbake', ...args]);
    });

  const exporter = cli.command('export').description('write the configuration in another tool\'s format');
  withCommon(exporter.command('kas').description('a kas project file that builds the same image (kas 3.1 and newer)'))
    .option('-o, --out <file>', 'write it here (atomically), with meta-vvehicle rendered next to it, instead of stdout')
    .action(async (opts) => out(await (await import('./commands/export.js')).exportKasCommand(opts)));

  // image pipeline: convert, manifest, publish (issue 5)
  withCommon(cli.command('convert').description('convert the deployed ext4 rootfs to a qcow2 backing file, with kernel and metadata'))
    .option('--deploy-dir <dir>', 'bitbake deploy dir (default: <work-dir>/build/<profile>/tmp/deploy/images/<machine>)')
    .option('--image <name>', 'image recipe whose artifacts to take (default: image.target)')
    .option('--out <dir>', 'output directory, replaced atomically (default: <work-dir>/out/<name>-<version>)')
    .option('--json', 'print convert.json (plus its dir) as JSON')
    .action(async (opts) => out(await (await import('./commands/convert.js')).convertCommand(opts)));

  const manifest = withCommon(cli.command('manifest').description('write the schema-validated manifest.json into a convert output directory'))
    .option('--from <dir>', 'convert output directory (default: <work-dir>/out/<name>-<version>)')
    .option('--smoke <file>', 'SmokeResult JSON from `vvehicle smoke --json` (default: <from>/smoke.json if present)')
    .option('--build-id <id>', 'build id to record (default: bitbake DATETIME and the disk sha256 prefix)')
    .option('--builder-image-id <id>', 'container image id bitbake ran in')
    .option('--json', 'print the manifest')
    .action(async (opts) => out(await (await import('./commands/manifest.js')).manifestCommand(opts)));
  manifest
    .command('verify <file>')
    .description('re-hash every artifact a manifest names; exit 2 naming any that changed')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts) => out(await (await import('./commands/manifest.js')).manifestVerifyCommand(file, opts)));
  manifest
    .command('schema')
    .description('print the JSON Schema of manifest.json')
    .action(async () => out((await import('./commands/manifest.js')).manifestSchemaCommand()));

  withCommon(cli.command('publish').description('publish an image version immutably: DIR/<name>/<version>/ and a channel pointer, or a KubeVirt containerDisk to an OCI registry'))
    .option('--from <dir>', 'directory holding manifest.json (default: <work-dir>/out/<name>-<version>)')
    .option('--to <dir|oci://host[:port]/repo>', 'publish root, or a registry repository (default: publish.dir)')
    .option('--channel <name>', 'channel to point at this version (default: publish.channel)')
    .option('--bundle', 'also write <name>-<version>.tar of the version')
    .option('--insecure', 'registry over plain HTTP or with a self-signed certificate (implied for 127.0.0.1/localhost)')
    .option('--registry-timeout <sec>', 'give up on a registry that does not answer within this many seconds (default 30)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => out(await (await import('./commands/publish.js')).publishCommand(opts)));

  // fleet: the first consumer of a published manifest (issue 9); it never reads vvehicle.yml
  const fleet = cli.command('fleet').description('boot N distinct vehicles from one published image on libvirt');
  const withDir = (cmd: Command) => cmd.option('--dir <dir>', 'fleet directory (fleet.json, keys, overlays, domain XML, consoles)', 'vvehicle-fleet');
  withDir(fleet.command('plan').description('write the fleet file: ids, hostnames, SUPIs, keys (0600), MACs, placement'))
    .requiredOption('--image <manifest>', 'published manifest.json (or its version dir, or a channel file)')
    .requiredOption('--count <n>', 'number of vehicles')
    .option('--name <name>', 'fleet name: vehicle ids are <name>-001 …', 'vv')
    .option('--connect <uri>', 'libvirt URI of the one host (default qemu:///system)')
    .option('--host <uri[,cores=N][,reserved=LIST]>', 'a host to place vehicles on, filled in order, repeatable (default: --connect, cores asked from libvirt)', collect)
    .option('--mcc <mcc>', "mobile country code (default: the image's UE, manifest ue.plmn); another reaches each UE at boot")
    .option('--mnc <mnc>', "mobile network code (default: the image's UE); another reaches each UE at boot")
    .option('--amf <hex>', "AMF field the core provisions: must be the image's UE's (manifest ue.amf), the default")
    .option('--base-imsi <imsi>', 'IMSI of the first vehicle, 15 digits starting with MCC+MNC (default MCC MNC 0…01)')
    .option('--subscribers <csv>', 'import SUPIs and K/OPc from a CSV (columns supi,key,opc) instead of generating keys')
    .option('--gnb <address>', "gNB address for the vehicles' gnbSearchList, repeatable (default: the image's)", collect)
    .option('--dnn <dnn>', "DNN of the UE's PDU session (default: the image's); another reaches each UE at boot")
    .option('--sst <n>', "SST of the session's slice, 0-255 (default: the image's); another reaches each UE at boot")
    .option('--sd <hex>', "SD of the session's slice, 6 hex digits (default: the image's); another reaches each UE at boot")
    .option('--memory <MiB>', "memory per vehicle (default: the manifest's boot.memoryMiB)")
    .option('--vcpus <n>', "vCPUs per vehicle (default: the manifest's boot.cpus)")
    .addOption(new Option('--cpu-pinning <mode>', 'strict: 1:1 vCPU to host core, refuse what does not fit; off: no pinning, overcommit').choices(['strict', 'off']).default('strict'))
    .option('--network <net>', 'user, network:<libvirt network> or bridge:<host bridge>', 'user')
    .option('--json', 'print the fleet file')
    .action(async (opts) => out(await (await import('./commands/fleet.js')).fleetPlanCommand(opts)));
  withDir(fleet.command('up').description('check the base against its manifest, create overlays and domains, start them in parallel'))
    .addOption(new Option('--storage <kind>', 'overlay: qcow2 overlays on the published base; copy: a full copy per vehicle (reflink when possible)').choices(['overlay', 'copy']).default('overlay'))
    .option('--parallel <n>', 'domains defined and started at once', '4')
    .option('--json', 'print what was started as JSON')
    .action(async (opts) => out(await (await import('./commands/fleet.js')).fleetUpCommand(opts)));
  withDir(fleet.command('status').description("per vehicle: domain state, its last VVEHICLE-HEALTH line (with the identity it echoes) and probes; exit 3 unless all are healthy"))
    .option('--wait <seconds>', 'poll until every vehicle is healthy, for at most this long')
    .option('--json', 'print the status as JSON')
    .action(async (opts) => {
      const r = await (await import('./commands/fleet.js')).fleetStatusCommand(opts);
      out(r.text);
      if (!r.healthy) exitCode = 3;
    });
  withDir(fleet.command('down').description('destroy and undefine every vehicle and remove its overlay; idempotent; never touches the base'))
    .option('--json', 'print what was removed as JSON')
    .action(async (opts) => out(await (await import('./commands/fleet.js')).fleetDownCommand(opts)));
  withDir(fleet.command('subscribers').description("what the 5G core must be provisioned with, and the gNB's side"))
    .addOption(new Option('--format <format>', 'free5gc (a script posting to the webconsole API), open5gs (a mongosh script), csv, ueransim-gnb (nr-gnb config)').choices(['free5gc', 'open5gs', 'csv', 'ueransim-gnb']).makeOptionMandatory())
    .option('--out <file>', 'write to this file (0600 when it holds keys) instead of stdout')
    .option('--link-ip <ip>', 'ueransim-gnb: the address the UEs reach the gNB at (default: the first of the vehicles\' gnbSearchList)')
    .option('--ngap-ip <ip>', 'ueransim-gnb: the gNB\'s address toward the AMF (default: --link-ip)')
    .option('--gtp-ip <ip>', 'ueransim-gnb: the gNB\'s address toward the UPF (default: --link-ip)')
    .option('--amf-address <ip[:port]>', 'ueransim-gnb: an AMF the gNB connects to, repeatable (default 127.0.0.1:38412)', collect)
    .option('--tac <n>', 'ueransim-gnb: tracking area code the core serves (default 1)')
    .option('--nci <hex>', 'ueransim-gnb: NR cell identity, 36 bits (default 0x000000010)')
    .action(async (opts) => {
      const text = (await import('./commands/fleet.js')).fleetSubscribersCommand(opts);
      if (text !== undefined) out(text);
    });

  return { cli, setExit: (c) => (exitCode = c), exit: () => exitCode };
}

type Print = (text: string) => void;
const printOut: Print = (t) => void process.stdout.write(`${t}\n`);
const printErr: Print = (t) => void process.stderr.write(`${t}\n`);

export async function main(argv: string[], out: Print = printOut, err: Print = printErr): Promise<number> {
  const { cli, exit } = program(out);
  const debug = argv.includes('--debug');
  try {
    await cli.parseAsync(argv, { from: 'user' });
    if (runSignal.aborted) throw runSignal.reason;
    return exit();
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes are user errors
      return error.exitCode === 0 ? 0 : 2;
    }
    await runCleanups();
    const reported = runSignal.aborted && !(error instanceof UserError) ? new Interrupted() : (machineFault(error) ?? error);
    err(describeError(reported, debug));
    return exitCodeFor(reported);
  }
}

// npx and npm link start us through a symlink: compare real paths
const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  installSignalHandlers();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
