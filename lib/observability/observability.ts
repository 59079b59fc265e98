/**
 * How a runtime observes its invocations: the logger its modules log through, the metrics
 * recorder, and the two calls that frame each invocation. Lambda's is built on Powertools
 * (`./lambda.ts`); the local runtime, benchmarks and tests give a logger of their own.
 */
import type { Context } from 'aws-lambda';
import type { Logger } from '../logger';
import { noMetrics, type MetricsRecorder } from './metrics';

/** A runtime's logger and metrics, with the calls that frame an invocation. */
export interface Observability {
  logger: Logger;
  metrics: MetricsRecorder;
  /**
   * Starts an invocation: Lambda's context and `correlationId` on every line until
   * {@link Observability.end}; in Lambda also a fresh decision whether this invocation logs at
   * DEBUG (`POWERTOOLS_LOGGER_SAMPLE_RATE`) and the `ColdStart` metric on the container's first.
   */
  begin(context: Partial<Context> | undefined, correlationId: string): void;
  /** Ends the invocation: publishes its metrics and drops its per-invocation log keys. */
  end(): void;
}

/** Observability with a given logger (and metrics, none by default): nothing added per invocation, metrics flushed at its end. */
export function observabilityOf(logger: Logger, metrics: MetricsRecorder = noMetrics): Observability {
  return {
    logger,
    metrics,
    begin: () => undefined,
    end: () => metrics.flush(),
  };
}
