/**
 * A minimal structured logger: one JSON object per line, as CloudWatch Logs Insights
 * expects. Record contents and credentials are never passed to it by this project.
 */

/** Severity, lowest first. */
export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LogLevel;

/** What the project's modules log through; inject a quiet one in tests. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Turns an error into loggable fields without its stack's secrets or payloads. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { errorName: error.name, errorMessage: error.message, ...(code === undefined ? {} : { errorCode: code }) };
  }
  return { errorMessage: String(error) };
}

/**
 * Creates a JSON-lines logger.
 *
 * @param minLevel - lines below this level are dropped.
 * @param write - sink for each line (stdout by default).
 */
export function createLogger(
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  base: Record<string, unknown> = {},
): Logger {
  const threshold = LogLevel[minLevel];
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (LogLevel[level] < threshold) return;
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...fields }));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('silent');
