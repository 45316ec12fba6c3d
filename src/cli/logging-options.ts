/**
 * --log-level and --log-format: options of every command, taken out of the command line
 * wherever they stand (as ffmpeg's -loglevel), before the command parses the rest.
 */
import { LOG_LEVELS, parseLogFormat, parseLogLevel, type LogFormat, type LogLevel } from '../util/logger';

export interface LoggingSettings {
  level?: LogLevel;
  format?: LogFormat;
}

/** For --help: label and description, as the commands' own options are shown. */
export const LOGGING_HELP_ROWS: [string, string][] = [
  ['  --log-level LEVEL', `What the log on stderr shows: ${LOG_LEVELS.join(', ')} (or set SCREENCAP_LOG) (default info)`],
  ['  --log-format text|json', 'One line of text an event, or one JSON object a line for log collectors (default text)'],
];

/**
 * The logging settings and the arguments left for the command. Throws a TypeError naming the
 * option (or SCREENCAP_LOG) for a value that is missing or not one of the choices.
 */
export function takeLoggingOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { settings: LoggingSettings; rest: string[] } {
  const settings: LoggingSettings = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(log-level|log-format)(?:=(.*))?$/.exec(argv[i]);
    if (!match) {
      rest.push(argv[i]);
      continue;
    }
    const [, name, inline] = match;
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new TypeError(`--${name}: a value is required`);
    if (name === 'log-level') settings.level = parseLogLevel(value, '--log-level');
    else settings.format = parseLogFormat(value, '--log-format');
  }
  const fromEnv = env.SCREENCAP_LOG;
  if (settings.level === undefined && fromEnv !== undefined && fromEnv !== '') settings.level = parseLogLevel(fromEnv, 'SCREENCAP_LOG');
  return { settings, rest };
}
