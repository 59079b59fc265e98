/**
 * A logger for people at a terminal: one short line per event, `time level [component]
 * message key=value ...`. `npm start` uses it on a TTY; pipes and `--json` get JSON lines.
 */
import { systemClock, type Clock } from '../lib/clock';
import { LogLevel, type Logger } from '../lib/logger';

function show(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * Creates a human-readable logger.
 *
 * @param minLevel - lines below this level are dropped.
 * @param write - sink for each line (stdout by default).
 * @param clock - the time source for the line's timestamp.
 */
export function createPrettyLogger(
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  clock: Clock = systemClock,
): Logger {
  const threshold = LogLevel[minLevel];
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields: Record<string, unknown> = {}): void => {
    if (LogLevel[level] < threshold) return;
    const { component, ...rest } = fields;
    const time = new Date(clock.nowMs()).toISOString().slice(11, 23);
    const tag = component === undefined ? '' : ` [${String(component)}]`;
    const details = Object.entries(rest)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${show(value)}`)
      .join(' ');
    write(`${time} ${level.toUpperCase().padEnd(5)}${tag} ${message}${details === '' ? '' : ` ${details}`}`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}
