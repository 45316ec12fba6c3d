/**
 * The CLI's commands: each declares its options once, and the same declaration parses argv and
 * prints --help.
 */
import { FieldError } from '../core/field-error';
import { parseArgs } from 'node:util';
import { helpWidth, twoColumns, wrapParagraphs } from './help-layout';
import { LOGGING_HELP_ROWS } from './logging-options';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Shown in --help, e.g. "HOST:PORT". */
  value?: string;
  description: string;
  /** Shown in --help. */
  default?: string;
  short?: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Extra paragraphs for --help (examples, notes). */
  details?: string;
  options: Record<string, OptionSpec>;
  run(values: ParsedOptions): Promise<number>;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Rethrows a FieldError as the UsageError of the option that carried the value: `--field: reason`,
 * with the option named as `optionOf` says (by default the field's own name, with `prefix`).
 * Anything else is rethrown as it is.
 */
export function rethrowAsUsage(error: unknown, optionOf: (field: string) => string = (field) => field): never {
  if (error instanceof FieldError) throw new UsageError(`--${optionOf(error.field)}: ${error.reason}`);
  throw error;
}

export function parseCommandLine(command: Command, argv: string[]): ParsedOptions | 'help' {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, help: { type: 'boolean', description: '', short: 'h' } as OptionSpec }).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/s, ''));
  }
  if (parsed.values.help) return 'help';
  return parsed.values as ParsedOptions;
}

export function commandHelp(command: Command, width = helpWidth()): string {
  const lines = [`Usage: screencap ${command.name} [options]`, '', ...wrapParagraphs(command.summary, width), '', 'Options:'];
  const rows: [string, string][] = Object.entries(command.options).map(([name, spec]) => [
    `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`,
    `${spec.description}${spec.default ? ` (default ${spec.default})` : ''}`,
  ]);
  rows.push(['  -h, --help', 'Show this help'], ...LOGGING_HELP_ROWS);
  lines.push(...twoColumns(rows, width));
  if (command.details) lines.push('', ...wrapParagraphs(command.details, width));
  return `${lines.join('\n')}\n`;
}

/**
 * A group of options declared once and offered by several commands: as they are (`view --size`)
 * or under a prefix where a command's own names would clash (`serve --view-size`).
 */
export function prefixedOptions(specs: Record<string, OptionSpec>, prefix: string): Record<string, OptionSpec> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [prefix + name, spec]));
}

/** The first option of the group (under `prefix`) that was given, by its command-line name. */
export function firstGivenOption(specs: Record<string, OptionSpec>, values: ParsedOptions, prefix: string): string | undefined {
  return Object.keys(specs)
    .map((name) => prefix + name)
    .find((name) => values[name] !== undefined);
}
