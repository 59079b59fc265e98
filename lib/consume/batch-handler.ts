/**
 * One invocation of the consume function: decode the event, read the batch's idempotency
 * keys once, process partitions concurrently (each strictly in order), and answer with the
 * partial batch response. Free of AWS clients, so unit tests drive it with fakes.
 *
 * When the invocation's remaining time is known (Lambda's context, or the local emulator's),
 * held keys and transient store errors are waited out until shortly before the deadline
 * rather than reported at once (see {@link ./patience}).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { MalformedEventError } from '../errors';
import type { IdempotencyRecord } from '../idempotency/types';
import { errorFields, type Logger } from '../logger';
import { noMetrics, type MetricsRecorder } from '../observability/metrics';
import { failureReport, type KafkaBatchResponse } from './batch';
import { countRedriven, recordBatchMetrics, summarizeBatch } from './batch-summary';
import { decodeKafkaEvent, entryOffset, type DecodedEvent } from './event';
import { STORE_UNREADABLE } from './failure-reason';
import { mapBounded } from './map-bounded';
import { NO_VERIFIED_CALLER, type CallerCheck } from './message-id';
import type { Every } from './lease';
import { processPartition, type ConsumeStore, type PartitionOutcome, type RecordFailure } from './partition-worker';
import type { RecordDecoder } from './schema-decoding';
import { createPatience, realSleep, waitDeadlineMs, type Sleep } from './patience';
import { identifyEntries } from './record-plan';
import type { RecordProcessor } from './processor';

/** Tuning of a batch handler; the defaults suit Lambda. */
export interface BatchHandlerOptions {
  /** Partitions processed at once. */
  partitionConcurrency?: number;
  /** Claims issued ahead of the record being processed, per partition. */
  claimsAhead?: number;
  /** How waiting sleeps; tests pass one that moves a fake clock. */
  sleep?: Sleep;
  /** How claim renewals are scheduled while an effect runs; tests pass one they tick by hand. */
  every?: Every;
  /** Told of each record the invocation reports failed, with the reason it logs (the local runtime passes it to the dead-letter record). */
  onRecordFailed?: (failure: RecordFailure) => void;
}

/** Collaborators of a batch handler. */
export interface BatchHandlerDeps extends BatchHandlerOptions {
  store: ConsumeStore;
  processor: RecordProcessor;
  clock: Clock;
  logger: Logger;
  /** Where the invocation's counts go as metrics; none by default. */
  metrics?: MetricsRecorder;
  /** Consumer scope prefixed to every idempotency key. */
  scope: string;
  /** How long a claim holds a record before another invocation may take it over (`CONSUME_LEASE_MS`). */
  leaseMs: number;
  ttlSeconds: number;
  /**
   * Verifies caller headers (the consume runtime passes the MAC check). Default: none verifies,
   * so no record is ever attributed to a caller it cannot prove.
   */
  checkCaller?: CallerCheck;
  /** Decodes schema'd keys and values, each record in its partition's worker (the configured registry's); without it records keep their bytes only. */
  decoder?: RecordDecoder;
}

/** The parts of Lambda's invocation context the handler uses. */
export interface InvocationContext {
  awsRequestId?: string;
  /** Milliseconds until the invocation times out; without it nothing is waited for. */
  getRemainingTimeInMillis?(): number;
}

/** Handles one Kafka event; see {@link createBatchHandler}. */
export type BatchHandler = (event: unknown, context?: InvocationContext) => Promise<KafkaBatchResponse>;

const DEFAULT_PARTITION_CONCURRENCY = 8;
const DEFAULT_CLAIMS_AHEAD = 25;

function allFailed(decoded: DecodedEvent): PartitionOutcome[] {
  return decoded.partitions.map((partition) => {
    const offsets = partition.entries.map(entryOffset);
    const outcome: PartitionOutcome = { partitionKey: partition.partitionKey, offsets, processed: 0, skippedDuplicates: 0 };
    // Stryker disable next-line ConditionalExpression: an empty partition has nothing to report; the report and the summary skip an undefined firstFailedOffset.
    if (offsets[0] !== undefined) Object.assign(outcome, { firstFailedOffset: offsets[0], stopReason: STORE_UNREADABLE });
    return outcome;
  });
}

/**
 * Creates the handler. It answers with `batchItemFailures` naming, per partition, the first
 * record not done and every later one; it throws only when no trustworthy answer exists.
 *
 * @throws {MalformedEventError} when the event is not a Kafka event or a record cannot be
 *   identified; nothing has been processed then.
 */
export function createBatchHandler(deps: BatchHandlerDeps): BatchHandler {
  const { store, clock, logger } = deps;
  return async (event, context) => {
    const startedMs = clock.nowMs();
    // Lambda gives every invocation, retries included, its own request id; the suffix keeps
    // invocation ids unique where callers reuse one. Each partition worker owns its claims
    // under this id and its partition.
    const invocationId = `${context?.awsRequestId ?? 'invocation'}:${randomUUID()}`;
    let decoded: DecodedEvent;
    try {
      decoded = decodeKafkaEvent(event);
    } catch (error) {
      if (error instanceof MalformedEventError) logger.error('malformed event, nothing processed', { invocationId, ...errorFields(error) });
      throw error;
    }

    const deadlineMs = waitDeadlineMs(clock.nowMs(), context?.getRemainingTimeInMillis?.());
    const sleep = deps.sleep ?? realSleep;
    const identities = decoded.partitions.map((partition) => identifyEntries(partition.entries, deps.scope, deps.checkCaller ?? NO_VERIFIED_CALLER));
    const keys = identities.flat().flatMap((identity) => (identity === undefined ? [] : [identity.key]));
    let outcomes: PartitionOutcome[];
    let known: Map<string, IdempotencyRecord> | undefined;
    const patience = createPatience(clock, deadlineMs, sleep);
    while (known === undefined) {
      try {
        known = keys.length === 0 ? new Map() : await store.getMany(keys, clock.nowMs());
      } catch (error) {
        if (await patience.pause()) continue;
        logger.error(`${STORE_UNREADABLE}, every record reported failed`, { invocationId, ...errorFields(error) });
        break;
      }
    }
    if (known === undefined) {
      outcomes = allFailed(decoded);
    } else {
      const workerDeps = {
        ...deps,
        invocationId,
        known,
        claimsAhead: deps.claimsAhead ?? DEFAULT_CLAIMS_AHEAD,
        // Stryker disable next-line ConditionalExpression: `{ waitDeadlineMs: undefined }` and `{}` are the same to the worker, which reads `!== undefined`.
        ...(deadlineMs === undefined ? {} : { waitDeadlineMs: deadlineMs }),
        sleep,
      };
      outcomes = await mapBounded(decoded.partitions, deps.partitionConcurrency ?? DEFAULT_PARTITION_CONCURRENCY, (partition, index) =>
        processPartition(partition, workerDeps, identities[index]),
      );
    }

    const response = failureReport(outcomes);
    for (const { partitionKey, offsets, processed, skippedDuplicates, firstFailedOffset } of outcomes) {
      logger.debug('partition done', { invocationId, partition: partitionKey, records: offsets.length, processed, skippedDuplicates, firstFailedOffset });
    }
    const summary = summarizeBatch(outcomes, decoded.recordCount, clock.nowMs() - startedMs, countRedriven(decoded));
    logger.info('consume batch', { invocationId, eventSource: decoded.eventSource, ...summary });
    recordBatchMetrics(deps.metrics ?? noMetrics, summary);
    return response;
  };
}
