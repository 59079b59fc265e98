/**
 * The produce use case: validate, claim the Idempotency-Key, send the records in one batch
 * with acks=all and answer with each record's partition and offset. It answers 200 only when
 * the broker acknowledged every record; whatever it cannot answer it throws as an AppError.
 */
import type { CallerKeySource } from '../caller-mac/key-source';
import type { AppConfig } from '../config';
import type { Clock } from '../clock';
import { ErrorCode, PartitionNotFoundError, ProduceTimeoutError, RecordsNotAcknowledgedError, RecordsRejectedError } from '../errors';
import { jsonResponse, type HttpResponse } from '../http/json-response';
import { HTTP_ERROR_ANSWERS, httpErrorAnswerOf } from '../http/status';
import type { RecordProducer } from '../kafka/producer';
import { errorFields, type Logger } from '../logger';
import { MetricName, noMetrics, type MetricsRecorder } from '../observability/metrics';
import { checkCallerAllowed } from './allow-list';
import { authenticate, callerLogFields, stampRecords, type Caller } from './caller';
import { checkIdempotencyKey, produceRequestHash, type HeldKey, type ProduceIdempotency } from './idempotency';
import type { RateLimiter } from './rate-limit';
import { failedEntry, produceResponseText, recordOffsets, type OffsetEntry } from './response';
import type { ProduceHttpRequest } from './route';
import type { Schemas } from '../schema/schemas';
import { encodeRecords, NO_SCHEMA_IDS, type SchemaIds } from './record-encoder';
import { checkTopic, embeddedFormatOf, mediaTypeOf, readProduceBody, type ProduceRecord } from './validation';

/** Response header marking a stored response replayed for a repeated Idempotency-Key. */
const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Collaborators of {@link ProduceService}. */
export interface ProduceServiceDeps {
  settings: AppConfig['produce'];
  producer: RecordProducer;
  idempotency: ProduceIdempotency;
  clock: Clock;
  logger: Logger;
  /** Records produced, acknowledgement waits and replays; none by default. */
  metrics?: MetricsRecorder;
  /** Fresh message ids for records without one. */
  newMessageId: () => string;
  /** The keys that MAC the caller header (`lib/caller-mac/`). */
  callerKeys: CallerKeySource;
  /** The per-caller rate limit. */
  rateLimiter: Pick<RateLimiter, 'check'>;
  /** The schema'd formats over the configured registry; undefined without one (those formats then answer 415). */
  schemas?: Schemas;
}

/** Produces one HTTP request's records. */
export class ProduceService {
  constructor(private readonly deps: ProduceServiceDeps) {}

  /**
   * Handles one produce request.
   *
   * @returns 200 with every record's offset; 503/500 listing records that were not acknowledged;
   *   or a replayed 200 for a repeated Idempotency-Key.
   * @param logger - this request's logger (it carries the request id).
   * @throws {AppError} for whole-request failures (401 without a caller where one is required,
   *   403 for a caller off the allow-list, 429 for one over its rate, 4xx for bad input, 503/504
   *   for Kafka, the store or the caller keys).
   */
  async produce(request: ProduceHttpRequest, logger: Logger = this.deps.logger): Promise<HttpResponse> {
    const { settings } = this.deps;
    const { idempotencyKey } = request;
    const caller = this.authenticate(request, logger);
    logger.info('produce request', { topic: request.topic, ...callerLogFields(caller), hasIdempotencyKey: idempotencyKey !== undefined });
    // Before any other work: a caller over its rate costs one DynamoDB update and nothing else.
    await this.deps.rateLimiter.check(caller.digest, logger);
    checkTopic(request.topic, settings.allowedTopics);
    const format = embeddedFormatOf(request.contentType);
    const body = readProduceBody(request.body, format, settings);
    // Before any claim and any send: a request whose schemas or data are refused writes nothing.
    const { records, ...schemaIds } = await encodeRecords(request.topic, format, body.schemaFields, body.records, this.deps.schemas);
    // Read once per container; loaded before any claim, so that a failed read leaves nothing to release.
    const keys = await this.deps.callerKeys.keys();
    if (idempotencyKey === undefined) {
      return this.send(
        request.topic,
        stampRecords(records, { caller, topic: request.topic, ring: keys, idempotencyKey, newId: this.deps.newMessageId }),
        logger,
        schemaIds,
      );
    }

    checkIdempotencyKey(idempotencyKey);
    const hash = produceRequestHash(request.topic, mediaTypeOf(request.contentType), request.body);
    const begun = await this.deps.idempotency.begin(caller.digest, request.topic, idempotencyKey, hash);
    if (begun.kind === 'replay') {
      this.metrics.count(MetricName.IdempotentReplays, 1);
      return jsonResponse(200, begun.body, { [REPLAYED_HEADER]: 'true' });
    }
    const stamped = stampRecords(records, { caller, topic: request.topic, ring: keys, idempotencyKey, newId: this.deps.newMessageId });
    return this.sendHolding(begun.held, request.topic, stamped, logger, schemaIds);
  }

  /**
   * The request's caller, if it may produce. Refusals are logged: in Lambda a request without a
   * caller means a route left without an authorizer, and a caller off the allow-list is worth a look.
   */
  private authenticate(request: ProduceHttpRequest, logger: Logger): Caller {
    let caller: Caller;
    try {
      caller = authenticate(request.authorizer, this.deps.settings.callers);
    } catch (error) {
      logger.warn('produce request refused: no authenticated caller', { topic: request.topic, ...errorFields(error) });
      throw error;
    }
    try {
      checkCallerAllowed(caller, this.deps.settings.callers.allowList);
    } catch (error) {
      logger.warn('produce request refused: caller not allowed', { topic: request.topic, ...callerLogFields(caller), ...errorFields(error) });
      throw error;
    }
    return caller;
  }

  private async sendHolding(held: HeldKey, topic: string, records: ProduceRecord[], logger: Logger, schemaIds: SchemaIds): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await this.send(topic, records, logger, schemaIds);
    } catch (error) {
      await this.giveUp(held, logger);
      throw error;
    }
    if (response.statusCode !== 200) {
      await this.giveUp(held, logger);
      return response;
    }
    try {
      await this.deps.idempotency.complete(held, response.body);
    } catch (error) {
      // The records are acknowledged, so the answer is 200 all the same. The claim stays
      // IN_PROGRESS until its lease ends: a quick retry gets 409, a later one produces again
      // with the same message-ids, which the consumer deduplicates.
      logger.error('storing the idempotent response failed', errorFields(error));
    }
    return response;
  }

  private async giveUp(held: HeldKey, logger: Logger): Promise<void> {
    try {
      await this.deps.idempotency.giveUp(held);
    } catch (error) {
      // The lease still ends on its own; the client's own error matters more than this one.
      logger.warn('giving up an Idempotency-Key failed', errorFields(error));
    }
  }

  private async send(topic: string, records: ProduceRecord[], logger: Logger, schemaIds: SchemaIds = NO_SCHEMA_IDS): Promise<HttpResponse> {
    const { clock, settings } = this.deps;
    const startedMs = clock.nowMs();
    const remainingMs = (): number => {
      const remaining = settings.timeoutMs - (clock.nowMs() - startedMs);
      if (remaining <= 0) throw new ProduceTimeoutError(`no acknowledgement within ${settings.timeoutMs} ms`);
      return remaining;
    };
    try {
      // Only an explicit partition can be missing; otherwise the send itself finds a missing topic (404).
      if (records.some((record) => record.partition !== undefined)) await this.checkPartitions(topic, records, remainingMs);
      const outcome = await this.sendTimed(topic, records, remainingMs());
      const offsets = recordOffsets(
        outcome.partitions,
        outcome.acks,
        (partition) => new RecordsNotAcknowledgedError(`the broker did not acknowledge partition ${partition}`),
      );
      const acknowledged = countAcknowledged(offsets);
      this.metrics.count(MetricName.RecordsProduced, acknowledged);
      logger.debug('records acknowledged', { topic, records: records.length, partitions: outcome.acks.length });
      const status = acknowledged === offsets.length ? 200 : HTTP_ERROR_ANSWERS[ErrorCode.RecordsNotAcknowledged].status;
      return jsonResponse(status, produceResponseText(offsets, schemaIds));
    } catch (error) {
      if (error instanceof RecordsNotAcknowledgedError || error instanceof RecordsRejectedError) {
        // Each entry's `error` is the message in the API's terms; the broker's detail is logged here.
        const { status } = httpErrorAnswerOf(error);
        logger.error('records not acknowledged', { topic, records: records.length, httpStatus: status, ...errorFields(error) });
        return jsonResponse(
          status,
          produceResponseText(
            records.map(() => failedEntry(error)),
            schemaIds,
          ),
        );
      }
      throw error;
    }
  }

  private get metrics(): MetricsRecorder {
    return this.deps.metrics ?? noMetrics;
  }

  /** Sends with acks=all, recording how long the broker took to acknowledge (or to fail). */
  private async sendTimed(topic: string, records: ProduceRecord[], timeoutMs: number): ReturnType<RecordProducer['send']> {
    const { producer, clock } = this.deps;
    const startedMs = clock.nowMs();
    try {
      return await producer.send(topic, records, { timeoutMs });
    } finally {
      this.metrics.durationMs(MetricName.AckWait, clock.nowMs() - startedMs);
    }
  }

  /** 404 for a missing topic, or for a partition the topic does not have even after a metadata refresh. */
  private async checkPartitions(topic: string, records: readonly ProduceRecord[], remainingMs: () => number): Promise<void> {
    const { producer } = this.deps;
    let partitionCount = await producer.partitionCount(topic, { timeoutMs: remainingMs() });
    // Stryker disable next-line ConditionalExpression: a comparison with an undefined partition is false; the check is for the type checker.
    const outOfRange = (): number => records.findIndex((record) => record.partition !== undefined && record.partition >= partitionCount);
    if (outOfRange() === -1) return;
    // Partitions may have been added since the metadata was cached.
    partitionCount = await producer.partitionCount(topic, { timeoutMs: remainingMs(), refresh: true });
    const index = outOfRange();
    if (index === -1) return;
    throw new PartitionNotFoundError(
      // Stryker disable next-line OptionalChaining: index is a found record's, so it exists; the `?.` is for the type checker.
      `records[${index}].partition: partition ${records[index]?.partition} does not exist; topic "${topic}" has ${partitionCount}`,
    );
  }
}

function countAcknowledged(offsets: readonly OffsetEntry[]): number {
  let count = 0;
  for (const entry of offsets) if (entry.error_code === null) count += 1;
  return count;
}
