/**
 * What one invocation did, counted from its partitions' outcomes, and the metrics that say so.
 * Pure: the batch handler logs the summary and hands it to the metrics recorder.
 */
import { REDRIVEN_FROM_HEADER } from '../headers';
import { MetricName, type MetricsRecorder } from '../observability/metrics';
import type { DecodedEvent } from './event';
import { FailureClass, failureClassOf } from './failure-reason';
import type { PartitionOutcome } from './partition-worker';

/** The counts of one invocation. */
export interface BatchSummary {
  records: number;
  partitions: number;
  processed: number;
  skippedDuplicates: number;
  /** Records reported in `batchItemFailures`. */
  failed: number;
  failedPartitions: number;
  /** Records failed because their message id had been applied with another payload. */
  payloadConflicts: number;
  /** Failed records by class: each partition's stopping record under its reason's class, the records after it under {@link FailureClass.AfterEarlierFailure}. */
  failedByClass: Partial<Record<FailureClass, number>>;
  /** Records a redrive wrote back from the on-failure topic. */
  redriven: number;
  durationMs: number;
}

/** Records of the event carrying a `redriven-from` header: written back by a redrive. */
export function countRedriven(decoded: DecodedEvent): number {
  let redriven = 0;
  for (const partition of decoded.partitions) {
    for (const entry of partition.entries) {
      if ('record' in entry && entry.record.headers.some(({ name }) => name === REDRIVEN_FROM_HEADER)) redriven += 1;
    }
  }
  return redriven;
}

function add(counts: Partial<Record<FailureClass, number>>, failureClass: FailureClass, count: number): void {
  if (count > 0) counts[failureClass] = (counts[failureClass] ?? 0) + count;
}

/**
 * Counts an invocation's outcomes.
 *
 * @param records - the event's record count (malformed ones included).
 * @param durationMs - from the event's arrival to the answer, in milliseconds.
 * @param redriven - records written back by a redrive ({@link countRedriven}).
 */
export function summarizeBatch(outcomes: readonly PartitionOutcome[], records: number, durationMs: number, redriven = 0): BatchSummary {
  const summary: BatchSummary = {
    records,
    partitions: outcomes.length,
    processed: 0,
    skippedDuplicates: 0,
    failed: 0,
    failedPartitions: 0,
    payloadConflicts: 0,
    failedByClass: {},
    redriven,
    durationMs,
  };
  for (const outcome of outcomes) {
    summary.processed += outcome.processed;
    summary.skippedDuplicates += outcome.skippedDuplicates;
    const { firstFailedOffset } = outcome;
    if (firstFailedOffset === undefined) continue;
    const failed = outcome.offsets.filter((offset) => offset >= firstFailedOffset).length;
    // Stryker disable next-line StringLiteral: no reason and any other text not in the table are both of class `other`.
    const stopClass = failureClassOf(outcome.stopReason ?? '');
    summary.failed += failed;
    summary.failedPartitions += 1;
    if (stopClass === FailureClass.PayloadConflict) summary.payloadConflicts += 1;
    add(summary.failedByClass, stopClass, 1);
    add(summary.failedByClass, FailureClass.AfterEarlierFailure, failed - 1);
  }
  return summary;
}

/** Records the consume metrics of one invocation (see docs/operating.md). */
export function recordBatchMetrics(metrics: MetricsRecorder, summary: BatchSummary): void {
  metrics.count(MetricName.RecordsReceived, summary.records);
  metrics.count(MetricName.RecordsProcessed, summary.processed);
  metrics.count(MetricName.RecordsSkippedDuplicate, summary.skippedDuplicates);
  metrics.count(MetricName.RecordsFailed, summary.failed);
  metrics.count(MetricName.PayloadConflicts, summary.payloadConflicts);
  metrics.count(MetricName.PartitionsPerEvent, summary.partitions);
  metrics.count(MetricName.RecordsRedriven, summary.redriven);
  metrics.durationMs(MetricName.BatchDuration, summary.durationMs);
  for (const [failureClass, count] of Object.entries(summary.failedByClass)) {
    metrics.count(MetricName.RecordsFailedByReason, count, { name: 'reason', value: failureClass });
  }
}
