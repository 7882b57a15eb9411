/**
 * The reference part of docs/cli.md, generated from the declarations (spec.ts) so that it cannot
 * drift from `--help`: scripts/update-docs.js writes it (section `cli`), a unit test fails when it
 * is stale.
 */
import type { MethodDescriptor } from '../unlearn/descriptor';
import { methodDescriptors } from '../unlearn/methods';
import { CliCommand, CliOption, COMMANDS, describeOption, flagWithValue, methodOptions } from './spec';

/** Text for a table cell: `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function optionsTable(options: readonly CliOption[]): string[] {
  const rows = options.map((option) => {
    // Prose as it is, a value as code.
    const shown = option.required ? 'required' : (option.defaultText ?? (option.default === undefined ? '' : `\`${option.default}\``));
    return `| \`${cell(flagWithValue(option))}\` | ${cell(shown)} | ${cell(describeOption(option))} |`;
  });
  return ['| Option | Default | Description |', '| --- | --- | --- |', ...rows];
}

function methodSection(method: MethodDescriptor): string[] {
  const lines = [`#### \`--method ${method.name}\``, '', `${method.summary}.`];
  if (method.presets) lines.push('', `Presets (\`--preset\`): ${Object.keys(method.presets).map((name) => `\`${name}\``).join(', ')}.`);
  if (method.ablations) {
    const ablations = Object.entries(method.ablations).map(([name, ablation]) => `\`${name}\` (${ablation.doc})`);
    lines.push('', `Ablations (\`--ablate\`): ${ablations.join('; ')}.`);
  }
  lines.push('', ...optionsTable(methodOptions(method)));
  return lines;
}

function commandSection(command: CliCommand): string[] {
  const usage = command.argument?.rest
    ? `camu ${command.name} [options] -- ${command.argument.name}...`
    : `camu ${command.name}${command.argument ? ` ${command.argument.name}` : ''} [options]`;
  const lines = [`### camu ${command.name}`, '', `\`${usage}\`: ${command.summary}.`];
  if (command.details) lines.push('', command.details);
  if (command.argument) lines.push('', `\`${command.argument.name}\`: ${command.argument.doc}.`);
  lines.push('', 'Example:', '', '```sh', command.example, '```', '', ...optionsTable(command.options));
  if (command.methodOptions) {
    lines.push('', "Each method's options, with the method's defaults (a preset replaces some of them):");
    for (const method of methodDescriptors()) lines.push('', ...methodSection(method));
  }
  return lines;
}

/** The generated reference: every command, every option with its default and doc, an example each. */
export function cliReference(): string {
  const lines = ['## Commands', '', '| Command | Does |', '| --- | --- |'];
  for (const command of COMMANDS) lines.push(`| [\`camu ${command.name}\`](#camu-${command.name}) | ${cell(command.summary)} |`);
  for (const command of COMMANDS) lines.push('', ...commandSection(command));
  return lines.join('\n');
}
