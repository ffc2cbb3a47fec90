#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { describeError, exitCodeFor, Interrupted, UserError } from './errors.js';
import { toolVersion } from './package-paths.js';
import { installSignalHandlers, runCleanups, runSignal } from './signals.js';
import { planCommand } from './commands/plan.js';
import { schemaCommand } from './commands/schema.js';
import { doctorCommand } from './commands/doctor.js';

/** Commander wiring only. Every error becomes an exit code here and nowhere else. */
function withCommon(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'project file (default: ./vvehicle.yml if present, else the embedded gateway-qemuarm64 profile)')
    .option('-w, --work-dir <dir>', 'work directory', 'vvehicle-work')
    .option('--debug', 'show stack traces for internal errors');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function program(out: (text: string) => void): { cli: Command; setExit: (code: number) => void; exit: () => number } {
  let exitCode = 0;
  const cli = new Command('vvehicle')
    .description('Builds, smoke-boots and publishes the golden AGL virtual-vehicle qcow2 image')
    .version(toolVersion)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withCommon(cli.command('plan').description('print the resolved build plan (pure: reads only the config)'))
    .option('--json', 'print the plan as JSON')
    .action((opts) => out(planCommand(opts)));

  withCommon(cli.command('schema').description('print the JSON Schema of vvehicle.yml')).action(() => out(schemaCommand()));

  withCommon(cli.command('doctor').description('check this host can build, convert and boot the image'))
    .addOption(new Option('--engine <engine>', 'container engine').choices(['auto', 'docker', 'podman']))
    .option('--engine-arg <arg>', 'global engine option, repeatable (e.g. --engine-arg=--runtime --engine-arg=runc)', collect)
    .option('--json', 'print the checks as JSON')
    .action(async (opts) => {
      const { text, ok } = await doctorCommand(opts);
      out(text);
      if (!ok) exitCode = 2;
    });

  return { cli, setExit: (c) => (exitCode = c), exit: () => exitCode };
}

export async function main(argv: string[], out = (t: string) => process.stdout.write(`${t}\n`), err = (t: string) => process.stderr.write(`${t}\n`)): Promise<number> {
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
    const reported = runSignal.aborted && !(error instanceof UserError) ? new Interrupted() : error;
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
