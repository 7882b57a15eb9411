/**
 * The reference part of docs/cli.md, generated from the declarations (spec.ts) so that it cannot
 * drift from `--help`: scripts/cli-reference.js writes it, a unit test fails when it is stale.
 */
import type { MethodDescriptor } from '../unlearn/descriptor';
import { methodDescriptors } from '../unlearn/methods';
import { CliCommand, CliOption, COMMANDS, describeOption, flagWithValue, methodOptions } from './spec';

/** Everything after this line of docs/cli.md is generated; everything before it is written by hand. */
export const REFERENCE_MARKER = '<!-- Generated from lib/cli/spec.ts by `npm run docs:cli`: edit the declarations, not below this line. -->';

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
  const usage = `camu ${command.name}${command.argument ? ` ${command.argument.name}` : ''} [options]`;
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
  return `${lines.join('\n')}\n`;
}

/** docs/cli.md's text with its generated part replaced by the current one. */
export function updateReference(document: string): string {
  const at = document.indexOf(REFERENCE_MARKER);
  if (at < 0) throw new Error(`docs/cli.md has no line ${REFERENCE_MARKER}`);
  return `${document.slice(0, at + REFERENCE_MARKER.length)}\n\n${cliReference()}`;
}
