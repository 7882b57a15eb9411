/**
 * The command line's parser: a commander program built from the declarations (spec.ts). Its exits
 * become return values (tests call it in-process) and its errors UsageErrors in camu's wording;
 * the values are then merged with the --config file's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { MethodDescriptor, optionFlag } from '../unlearn/descriptor';
import { methodDescriptor, methodDescriptors } from '../unlearn/methods';
import { CliIo } from './output';
import { camelCase, ConfigFile, configValues, fromFlag, OptionValues, readConfig, resolveValues, scanFlag } from './options';
import { CliCommand, CliOption, commandOptions, COMMANDS, defaultText, describeOption, findCommand, flagWithValue, methodsWithOption } from './spec';
import { alternatives, nearest, UsageError } from './usage';

/** A command line that asks for work: the command, its option values, its positional argument. */
export interface Invocation {
  command: CliCommand;
  values: OptionValues;
  argument?: string;
  /** A `rest` argument's words. */
  rest?: string[];
  /** unlearn's method. */
  method?: MethodDescriptor;
}

export function version(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

function commanderOption(option: CliOption): Option {
  const value = defaultText(option);
  const note = option.required ? ' (required)' : value === undefined ? '' : ` (default: ${value})`;
  const shown = new Option(flagWithValue(option), `${describeOption(option)}${note}`);
  // No commander default: a value given by neither flag nor config must stay absent until
  // resolveValues, so the config file can fill it in.
  if (option.type !== 'switch') shown.argParser((text: string) => fromFlag(option, text));
  if (option.group) shown.helpGroup(option.group);
  return shown;
}

/** `unlearn --help`'s list of methods, and the chosen one's presets and ablations. */
function methodsHelp(method: MethodDescriptor): string {
  const width = Math.max(...methodDescriptors().map((other) => other.name.length));
  const lines = ["Methods (camu unlearn --method NAME --help lists that method's options):"];
  for (const other of methodDescriptors()) lines.push(`  ${other.name.padEnd(width)}  ${other.summary}`);
  if (method.presets) lines.push('', `Presets of ${method.name} (--preset): ${Object.keys(method.presets).join(', ')}`);
  if (method.ablations) {
    lines.push('', `Ablations of ${method.name} (--ablate):`);
    for (const [name, ablation] of Object.entries(method.ablations)) lines.push(`  ${name}: ${ablation.doc}`);
  }
  return lines.join('\n');
}

/** unlearn's method: from --method, else the config file, else the declared default. */
function chooseMethod(command: CliCommand, args: readonly string[], config: ConfigFile | undefined): MethodDescriptor {
  const flag = scanFlag(args, '--method');
  const [value, name] =
    flag !== undefined
      ? [flag, '--method']
      : config?.entries.method !== undefined
        ? [config.entries.method, `${config.file}: method`]
        : [command.options.find((option) => option.name === 'method')?.default, '--method'];
  try {
    return methodDescriptor(value, name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function buildProgram(io: CliIo, target: CliCommand | undefined, method: MethodDescriptor, record: (values: OptionValues, argument?: string | string[]) => void): Command {
  const program = new Command('camu')
    .description('Machine unlearning (CaMU and its baselines) on a libtorch core.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are UsageErrors, worded and printed by the caller.
      outputError: () => undefined,
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) ?? 100,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) ?? 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showSuggestionAfterError(false)
    .enablePositionalOptions()
    .version(version(), '-v, --version', "print camu's version")
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', "show a command's help")
    .addHelpText('after', "\nRun 'camu <command> --help' for a command's options and an example; docs/cli.md lists them all.");
  for (const declared of COMMANDS) {
    const sub = program.command(declared.name).summary(declared.summary).description(declared.details ? `${declared.summary}\n\n${declared.details}` : declared.summary);
    if (declared.argument) sub.argument(`<${declared.argument.name}${declared.argument.rest ? '...' : ''}>`, declared.argument.doc);
    // The words after a rest argument are another command line's: its flags are not launch's.
    if (declared.argument?.rest) sub.passThroughOptions();
    for (const option of commandOptions(declared, method)) sub.addOption(commanderOption(option));
    const example = `\nExample:\n  ${declared.example}`;
    sub.addHelpText('after', declared.methodOptions ? `\n${methodsHelp(method)}\n${example}` : example);
    if (declared === target) {
      sub.action((...args: unknown[]) => {
        const self = args[args.length - 1] as Command;
        record(self.opts(), declared.argument ? (args[0] as string | string[]) : undefined);
      });
    }
  }
  return program;
}

/** Commander's error in camu's wording, with the nearest command or flag to a mistyped one. */
function usageError(error: CommanderError, command: CliCommand | undefined, method: MethodDescriptor): UsageError {
  const message = error.message.replace(/^error: /, '');
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (error.code === 'commander.unknownCommand') {
    const near = nearest(quoted, COMMANDS.map((known) => known.name));
    return new UsageError(`unknown command '${quoted}'${near ? `; did you mean '${near}'?` : ''}`);
  }
  if (error.code === 'commander.unknownOption') {
    const flag = quoted.split('=')[0];
    const owners = command?.methodOptions ? methodsWithOption(camelCase(flag.replace(/^-+/, '')), method) : [];
    if (owners.length > 0) return new UsageError(`${flag} is an option of --method ${alternatives(owners)}, not of ${method.name}`);
    const known = [...(command ? commandOptions(command, method).map((option) => optionFlag(option.name).slice(2)) : ['version']), 'help'];
    const near = nearest(flag.replace(/^-+/, ''), known);
    return new UsageError(`unknown option '${flag}'${near ? `; did you mean --${near}?` : ''}`);
  }
  return new UsageError(message);
}

/**
 * Parses a command line (without the executable). Returns what to run, or the exit status when
 * nothing is left to do (--help, --version); throws a UsageError for a bad command line.
 */
export function parseCommandLine(argv: readonly string[], io: CliIo): Invocation | number {
  const command = findCommand(argv[0]);
  const args = argv.slice(1);
  const configFile = command?.options.some((option) => option.name === 'config') ? scanFlag(args, '--config') : undefined;
  const config = configFile === undefined ? undefined : readConfig(configFile);
  // unlearn's --help needs a method even where unlearn is not the command (`camu help unlearn`).
  const methodCommand = COMMANDS.find((declared) => declared.methodOptions) as CliCommand;
  const method = command === methodCommand ? chooseMethod(methodCommand, args, config) : chooseMethod(methodCommand, [], undefined);
  let flags: OptionValues | undefined;
  let argument: string | string[] | undefined;
  const program = buildProgram(io, command, method, (values, positional) => {
    flags = values;
    argument = positional;
  });
  try {
    // `camu` alone lists the commands.
    program.parse(argv.length === 0 ? ['--help'] : argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return 0;
    throw usageError(error, command, method);
  }
  if (command === undefined || flags === undefined) return 0;
  const options = commandOptions(command, command.methodOptions ? method : undefined);
  const fromFile = config === undefined ? {} : configValues(config, options, command.methodOptions ? method : undefined);
  const values = resolveValues(options, flags, fromFile);
  const chosen = command.methodOptions ? method : undefined;
  if (Array.isArray(argument)) return { command, values, rest: argument, method: chosen };
  return { command, values, argument, method: chosen };
}
