/**
 * The correlation id of a consume invocation, read from the event before it is decoded.
 */

/**
 * `<topic>-<partition>@<offset>` of the event's first record: the same on every redelivery of
 * a batch, so the log lines of a batch that keeps failing share it across invocations (the
 * request id changes each time). `kafka-batch` when the event names no record.
 */
export function batchCorrelationId(event: unknown): string {
  const records = (event as { records?: unknown } | null | undefined)?.records;
  if (typeof records !== 'object' || records === null) return 'kafka-batch';
  for (const [partitionKey, entries] of Object.entries(records)) {
    const offset = Array.isArray(entries) ? (entries[0] as { offset?: unknown } | undefined)?.offset : undefined;
    if (typeof offset === 'number') return `${partitionKey}@${offset}`;
  }
  return 'kafka-batch';
}
