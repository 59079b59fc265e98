/**
 * A metrics recorder that keeps running totals in memory: the local runtime hands it to the
 * produce function (which publishes EMF in Lambda) to know how many records were produced.
 */
import type { MetricName, MetricsRecorder } from '../lib/observability/metrics';

/** A recorder whose counts can be read back; durations and dimensions are not kept. */
export interface MetricTotals extends MetricsRecorder {
  /** The sum of every count recorded under `name` (whatever its dimension) since start. */
  total(name: MetricName): number;
}

/** Creates an empty {@link MetricTotals}. */
export function createMetricTotals(): MetricTotals {
  const totals = new Map<MetricName, number>();
  return {
    count: (name, value) => {
      totals.set(name, (totals.get(name) ?? 0) + value);
    },
    durationMs: () => undefined,
    flush: () => undefined,
    total: (name) => totals.get(name) ?? 0,
  };
}
