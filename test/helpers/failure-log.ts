/** A logger for consume tests that keeps each `record failed` warning as `<partition>:<offset> <reason>`. */
import type { Logger } from '../../lib/logger';

/** Records every `record failed` warning as `<partition>:<offset> <reason>`, and nothing else. */
export class FailureLog implements Logger {
  readonly failures: string[] = [];
  debug(): void {}
  info(): void {}
  error(): void {}
  warn(message: string, fields: Record<string, unknown> = {}): void {
    if (message === 'record failed') this.failures.push(`${String(fields.partition)}:${String(fields.offset)} ${String(fields.reason)}`);
  }
}
