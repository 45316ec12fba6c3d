/** The `screencap` command line: dispatches to a command, maps errors to exit codes. */
import { CaptureClientError } from '../clients/capture-error';
import { configureLogging } from '../util/logger';
import { commandHelp, parseCommandLine, UsageError, type Command } from './command';
import { displaysCommand } from './displays-command';
import { grabCommand } from './grab-command';
import { helpWidth, twoColumns, wrapParagraphs } from './help-layout';
import { takeLoggingOptions } from './logging-options';
import { recordCommand } from './record-command';
import { serveCommand } from './serve-command';
import { versionText } from './version';
import { viewCommand } from './view-command';

const COMMANDS: Command[] = [serveCommand, grabCommand, recordCommand, viewCommand, displaysCommand];

function mainHelp(): string {
  const width = helpWidth();
  return `${[
    'Usage: screencap <command> [options]',
    '',
    ...wrapParagraphs('A screen-capture server with Fuchsia-style hanging-get frames over gRPC, and its clients.', width),
    '',
    'Commands:',
    ...twoColumns(
      COMMANDS.map((c) => [`  ${c.name}`, c.summary]),
      width,
    ),
    '',
    ...wrapParagraphs('Run "screencap <command> --help" for a command\'s options, "screencap --version" for the version.', width),
  ].join('\n')}\n`;
}

/**
 * Node's warnings, less one that only confuses: grpc-js names an IP address as the TLS server
 * name (DEP0123) whenever --server is HOST:PORT with an IP, which is how most people connect.
 */
function quietenWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    process.stderr.write(`screencap: warning: ${warning.name}: ${warning.message}\n`);
  });
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  quietenWarnings();
  let commandLine: string[];
  try {
    const logging = takeLoggingOptions(argv);
    configureLogging(logging.settings);
    commandLine = logging.rest;
  } catch (error) {
    process.stderr.write(`screencap: ${(error as Error).message}\n`);
    return 2;
  }
  const [name, ...rest] = commandLine;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(versionText());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`screencap: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const values = parseCommandLine(command, rest);
    if (values === 'help') {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(values);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`screencap ${command.name}: ${error.message}\nRun "screencap ${command.name} --help" for usage.\n`);
      return 2;
    }
    if (error instanceof CaptureClientError) {
      process.stderr.write(`screencap ${command.name}: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : error.message) : String(error);
    process.stderr.write(`screencap ${command.name}: ${message}\n`);
    return 1;
  }
}
