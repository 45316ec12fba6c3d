import { FieldError } from '../core/field-error';
/**
 * Operator-facing logs: one line per event on stderr, so that stdout stays free for a command's
 * own output (a progress line, a file name). As text, `time level component: message key=value
 * ...`; as JSON (for log collectors), one object a line with `time`, `level`, `component`,
 * `message` and the fields. The level and format are the process's (configureLogging, from the
 * CLI's --log-level/--log-format), else SCREENCAP_LOG (debug, info, warn, error, silent) and
 * text; a logger can be given its own.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a part of this component ("server" -> "server.session"). */
  child(name: string): Logger;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** `value` as a log level, or a TypeError naming `field` and the levels there are. */
export function parseLogLevel(value: string, field: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new FieldError(field, `unknown log level ${JSON.stringify(value.slice(0, 40))}; expected one of ${LOG_LEVELS.join(', ')}`);
}

/** `value` as a log format, or a TypeError naming `field`. */
export function parseLogFormat(value: string, field: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new FieldError(field, `unknown log format ${JSON.stringify(value.slice(0, 40))}; expected text or json`);
}

const processSettings: { level?: LogLevel; format?: LogFormat } = {};

/** The process's log level and format, for every logger made without its own (the CLI's flags). */
export function configureLogging(settings: { level?: LogLevel; format?: LogFormat }): void {
  Object.assign(processSettings, settings);
}

/** The level loggers made without their own get: the process's, else SCREENCAP_LOG's, else info. */
export function processLogLevel(): LogLevel {
  return processSettings.level ?? levelFromEnvironment();
}

/** Whether a message at `level` shows with the process's level. */
export function processLogShows(level: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[processLogLevel()];
}

let badEnvironmentReported = false;

function levelFromEnvironment(): LogLevel {
  const value = process.env.SCREENCAP_LOG;
  if (value === undefined || value === '') return 'info';
  try {
    return parseLogLevel(value, 'SCREENCAP_LOG');
  } catch (error) {
    // The CLI refuses a bad value at start; an embedding program hears of it once.
    if (!badEnvironmentReported) process.stderr.write(`screencap: ${(error as Error).message}; logging at info\n`);
    badEnvironmentReported = true;
    return 'info';
  }
}

function formatValue(value: string | number | bigint | boolean): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function formatText(level: LogLevel, component: string, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

function formatJson(level: LogLevel, component: string, message: string, fields?: LogFields): string {
  const record: Record<string, string | number | boolean> = { time: new Date().toISOString(), level, component, message };
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      // The fixed keys win: a field cannot pass itself off as the level or the time.
      if (value !== undefined && !(key in record)) record[key] = typeof value === 'bigint' ? value.toString() : value;
    }
  }
  return JSON.stringify(record);
}

/** Writes log lines; tests and embedders can pass their own sink to capture them. */
export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => process.stderr.write(`${line}\n`);

export function createLogger(component: string, options: { level?: LogLevel; format?: LogFormat; sink?: LogSink } = {}): Logger {
  const threshold = LEVEL_RANK[options.level ?? processLogLevel()];
  const format = (options.format ?? processSettings.format) === 'json' ? formatJson : formatText;
  const sink = options.sink ?? stderrSink;
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] >= threshold) sink(format(level, component, message, fields));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name) => createLogger(`${component}.${name}`, options),
  };
}
