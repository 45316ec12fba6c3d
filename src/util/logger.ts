/**
 * Operator-facing logs: one line per event, `time level component: message key=value ...`, on
 * stderr so that stdout stays free for a command's own output (a progress line, a file name).
 * The level comes from SCREENCAP_LOG (debug, info, warn, error, silent; default info).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

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

function levelFromEnvironment(): LogLevel {
  const value = process.env.SCREENCAP_LOG;
  return value !== undefined && value in LEVEL_RANK ? (value as LogLevel) : 'info';
}

function formatValue(value: string | number | bigint | boolean): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function formatLine(level: LogLevel, component: string, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

/** Writes log lines; tests and embedders can pass their own sink to capture them. */
export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => process.stderr.write(line + '\n');

export function createLogger(component: string, options: { level?: LogLevel; sink?: LogSink } = {}): Logger {
  const threshold = LEVEL_RANK[options.level ?? levelFromEnvironment()];
  const sink = options.sink ?? stderrSink;
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] >= threshold) sink(formatLine(level, component, message, fields));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name) => createLogger(`${component}.${name}`, options),
  };
}
