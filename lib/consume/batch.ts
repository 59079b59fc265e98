/**
 * The failure-report rule for Kafka partial batch responses, apart from any I/O.
 *
 * Lambda resumes each partition at the lowest offset reported for it and treats everything
 * before as done, so a partition's report must start at its first failed record and name every
 * later record too. The identifier is `{partition: "<topic>-<partition>", offset}`, not the
 * string identifier SQS and Kinesis use:
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 */

/** One reported record. */
export interface BatchItemFailure {
  itemIdentifier: { partition: string; offset: number };
}

/** What a Kafka event source mapping reads from the function's answer. */
export interface KafkaBatchResponse {
  batchItemFailures: BatchItemFailure[];
}

/** One partition's result: its offsets in processing order and where it stopped, if it did. */
export interface PartitionResult {
  /** `"<topic>-<partition>"`. */
  partitionKey: string;
  /** Offsets of the partition's records in the event, ascending. */
  offsets: readonly number[];
  /** Offset of the first record that failed; undefined when the whole partition succeeded. */
  firstFailedOffset?: number;
}

/**
 * Builds the response: for each partition that stopped, its first failed record and every
 * record after it; nothing for partitions that fully succeeded.
 */
export function failureReport(partitions: readonly PartitionResult[]): KafkaBatchResponse {
  const batchItemFailures: BatchItemFailure[] = [];
  for (const { partitionKey, offsets, firstFailedOffset } of partitions) {
    // Stryker disable next-line ConditionalExpression: speed only; no offset is `>=` undefined, so nothing would be added.
    if (firstFailedOffset === undefined) continue;
    for (const offset of [...offsets].sort((a, b) => a - b)) {
      if (offset >= firstFailedOffset) batchItemFailures.push({ itemIdentifier: { partition: partitionKey, offset } });
    }
  }
  return { batchItemFailures };
}
