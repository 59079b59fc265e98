/**
 * The project's logging interface, which every module logs through, and the helpers around
 * it. In Lambda it is backed by Powertools Logger (`observability/lambda.ts`); the JSON-lines
 * {@link createLogger} here serves the local runtime, the benchmarks, the fault injection and
 * the tests. Record contents and credentials are never passed to either by this project.
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

// Wrappers (ours, kafkajs' retriers) nest the failure that matters a few levels down.
const MAX_CAUSES = 4;

function causeChain(error: Error): string | undefined {
  const causes: string[] = [];
  let current: unknown = error.cause;
  while (current !== undefined && current !== null && causes.length < MAX_CAUSES) {
    causes.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return causes.length === 0 ? undefined : causes.join(' <- ');
}

/**
 * Turns an error into loggable fields without its stack's secrets or payloads. The causes'
 * names and messages are kept: client-facing messages leave dependency detail out on
 * purpose, so the log is where it is found.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = causeChain(error);
    return {
      errorName: error.name,
      errorMessage: error.message,
      ...(code === undefined ? {} : { errorCode: code }),
      ...(cause === undefined ? {} : { cause }),
    };
  }
  return { errorMessage: String(error) };
}

/** A logger that adds `fields` (for example the request id) to every line of `logger`. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (message, more) => logger.debug(message, { ...fields, ...more }),
    info: (message, more) => logger.info(message, { ...fields, ...more }),
    warn: (message, more) => logger.warn(message, { ...fields, ...more }),
    error: (message, more) => logger.error(message, { ...fields, ...more }),
  };
}

/**
 * Creates a JSON-lines logger for tooling outside Lambda.
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
