/**
 * The metrics the functions publish, by name, and the recorder they publish them through.
 * The recorder is an interface so that the consume and produce logic stay free of Powertools:
 * Lambda gets the Powertools one (see `./lambda.ts`), local runs and unit tests a fake or
 * {@link noMetrics}.
 */

/** Every metric name the functions publish; docs/operating.md explains each. */
export const MetricName = {
  // consume
  RecordsReceived: 'RecordsReceived',
  RecordsProcessed: 'RecordsProcessed',
  RecordsSkippedDuplicate: 'RecordsSkippedDuplicate',
  RecordsFailed: 'RecordsFailed',
  /** {@link MetricName.RecordsFailed} again, split by the `reason` dimension. */
  RecordsFailedByReason: 'RecordsFailedByReason',
  PayloadConflicts: 'PayloadConflicts',
  BatchDuration: 'BatchDuration',
  PartitionsPerEvent: 'PartitionsPerEvent',
  /** Records written back from the on-failure topic by a redrive (they carry a `redriven-from` header). */
  RecordsRedriven: 'RecordsRedriven',
  /** Records whose caller header did not verify (so they count as having no caller), by the `reason` dimension. */
  CallerHeadersRejected: 'CallerHeadersRejected',
  // produce
  RecordsProduced: 'RecordsProduced',
  /** Requests, split by the `outcome` dimension (`2xx`, `4xx`, `5xx`). */
  Requests: 'Requests',
  AckWait: 'AckWait',
  IdempotentReplays: 'IdempotentReplays',
  /** Requests refused with 429 by the per-caller rate limit. */
  RequestsThrottled: 'RequestsThrottled',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** A dimension whose values form a small fixed set (each value is a metric of its own in CloudWatch). */
export interface Dimension {
  name: string;
  value: string;
}

/** Collects one invocation's metrics; `flush` publishes them together. */
export interface MetricsRecorder {
  /** Adds `value` to a count. */
  count(name: MetricName, value: number, dimension?: Dimension): void;
  /** Records a duration in milliseconds. */
  durationMs(name: MetricName, valueMs: number): void;
  /** Publishes what was recorded since the last flush (nothing when nothing was). */
  flush(): void;
}

/** A recorder that drops everything. */
export const noMetrics: MetricsRecorder = {
  count: () => undefined,
  durationMs: () => undefined,
  flush: () => undefined,
};
