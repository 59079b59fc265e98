/**
 * The produce use case, the same for every route: admit the caller, check the topic, read the
 * records (the route's reader), claim the Idempotency-Key, send the records in one batch with
 * acks=all, and answer through the route's writer. An answer is stored for the key only when
 * the broker acknowledged every record of the request; whatever the service cannot answer it
 * throws as an AppError.
 */
import type { CallerKeySource } from '../caller-mac/key-source';
import type { AppConfig } from '../config';
import type { Clock } from '../clock';
import {
  InternalError,
  PartitionNotFoundError,
  ProduceTimeoutError,
  RecordsNotAcknowledgedError,
  RecordsRejectedError,
  SchemaRegistryUnavailableError,
} from '../errors';
import { jsonResponse, type HttpResponse } from '../http/json-response';
import { httpErrorAnswerOf } from '../http/status';
import type { RecordProducer } from '../kafka/producer';
import { errorFields, type Logger } from '../logger';
import { MetricName, noMetrics, type MetricsRecorder } from '../observability/metrics';
import { withTimeout } from '../timeout';
import { checkCallerAllowed } from './allow-list';
import { authenticate, callerLogFields, stampRecords, type Caller, type RecordStamps } from './caller';
import { isRefused, recordOutcomes, type AnswerWriter, type ProduceCommand, type RecordOutcome, type RecordSlot } from './command';
import { checkIdempotencyKey, produceRequestHash, type HeldKey, type ProduceIdempotency } from './idempotency';
import type { RateLimiter } from './rate-limit';
import type { HttpRequest } from './route';
import { checkTopic, type ProduceRecord } from './validation';

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
}

/** Produces one HTTP request's records. */
export class ProduceService {
  constructor(private readonly deps: ProduceServiceDeps) {}

  /**
   * Handles one produce request, whichever route read it: the records go in one send with
   * acks=all, and the route's writer answers with their outcomes.
   *
   * @returns the writer's answer; or a replay of the stored answer for a repeated Idempotency-Key.
   * @param logger - this request's logger (it carries the request id).
   * @throws {AppError} for whole-request failures (401 without a caller where one is required,
   *   403 for a caller off the allow-list, 429 for one over its rate, 4xx for bad input, 503/504
   *   for Kafka, the store or the caller keys).
   */
  async produce(command: ProduceCommand, logger: Logger = this.deps.logger): Promise<HttpResponse> {
    const { request, topic, writer } = command;
    const { idempotencyKey } = request;
    const caller = await this.admit(request, topic, logger);
    checkTopic(topic, this.deps.settings.allowedTopics);
    const slots = await command.read();
    // Read once per container; loaded before any claim, so that a failed read leaves nothing to release.
    const keys = await this.deps.callerKeys.keys();
    const stamps = { caller, topic, ring: keys, idempotencyKey, newId: this.deps.newMessageId };
    // The request's one budget starts before the claim, so the claim's lease, counted from the
    // claim and longer than the budget (lib/config.ts), ends after it.
    const remainingMs = this.budget();
    const encodeAndSend = (): Promise<SentAnswer> => this.encodeAndSend(command, slots, stamps, logger, remainingMs);
    if (idempotencyKey === undefined) return (await encodeAndSend()).response;

    checkIdempotencyKey(idempotencyKey);
    const hash = produceRequestHash(topic, command.fingerprint, request.body);
    const begun = await this.deps.idempotency.begin(caller.digest, topic, idempotencyKey, hash);
    if (begun.kind === 'replay') {
      this.metrics.count(MetricName.IdempotentReplays, 1);
      return jsonResponse(writer.completeStatus, begun.body, { 'Content-Type': writer.mediaType, [REPLAYED_HEADER]: 'true' });
    }
    // Encoded only now: a replay above answers without the schema registry, which may be away.
    return this.sendHolding(begun.held, encodeAndSend, logger);
  }

  /**
   * Admits a request to any route: an authenticated caller on the allow-list, within its rate.
   *
   * @param topic - the topic the request concerns, for the log; undefined for none.
   * @returns the caller.
   * @throws {UnauthenticatedError} / {CallerNotAllowedError} / {RateLimitedError}.
   */
  async admit(request: Pick<HttpRequest, 'authorizer' | 'idempotencyKey'>, topic: string | undefined, logger: Logger = this.deps.logger): Promise<Caller> {
    const caller = this.authenticate(request, topic, logger);
    logger.info('produce request', { topic, ...callerLogFields(caller), hasIdempotencyKey: request.idempotencyKey !== undefined });
    // Before any other work: a caller over its rate costs one DynamoDB update and nothing else.
    await this.deps.rateLimiter.check(caller.digest, logger);
    return caller;
  }

  /**
   * The request's caller, if it may produce. Refusals are logged: in Lambda a request without a
   * caller means a route left without an authorizer, and a caller off the allow-list is worth a look.
   */
  private authenticate(request: Pick<HttpRequest, 'authorizer'>, topic: string | undefined, logger: Logger): Caller {
    let caller: Caller;
    try {
      caller = authenticate(request.authorizer, this.deps.settings.callers);
    } catch (error) {
      logger.warn('produce request refused: no authenticated caller', { topic, ...errorFields(error) });
      throw error;
    }
    try {
      checkCallerAllowed(caller, this.deps.settings.callers.allowList);
    } catch (error) {
      logger.warn('produce request refused: caller not allowed', { topic, ...callerLogFields(caller), ...errorFields(error) });
      throw error;
    }
    return caller;
  }

  /**
   * Runs `encodeAndSend` while holding an Idempotency-Key, and completes or gives up the key.
   * The claim's lease (`IDEMPOTENCY_LEASE_MS`, longer than `PRODUCE_TIMEOUT_MS`, checked at cold
   * start) outlasts the one budget that bounds the registry's calls and the send, so no retry
   * takes the key over while these records may still go out.
   */
  private async sendHolding(held: HeldKey, encodeAndSend: () => Promise<SentAnswer>, logger: Logger): Promise<HttpResponse> {
    let sent: SentAnswer;
    try {
      sent = await encodeAndSend();
    } catch (error) {
      await this.giveUp(held, logger);
      throw error;
    }
    if (!sent.complete) {
      await this.giveUp(held, logger);
      return sent.response;
    }
    try {
      await this.deps.idempotency.complete(held, sent.response.body);
    } catch (error) {
      // The records are acknowledged, so the answer is the same. The claim stays IN_PROGRESS
      // until its lease ends: a quick retry gets 409, a later one produces again with the same
      // message-ids, which the consumer deduplicates.
      logger.error('storing the idempotent response failed', errorFields(error));
    }
    return sent.response;
  }

  private async giveUp(held: HeldKey, logger: Logger): Promise<void> {
    try {
      await this.deps.idempotency.giveUp(held);
    } catch (error) {
      // The lease still ends on its own; the client's own error matters more than this one.
      logger.warn('giving up an Idempotency-Key failed', errorFields(error));
    }
  }

  /**
   * Encodes the records read (the schema registry's step, when the route has one), then sends
   * them, all within the request's one `PRODUCE_TIMEOUT_MS` budget, `remainingMs`: the
   * registry's calls get what is left of it, and the send what they left.
   *
   * @throws {SchemaRegistryUnavailableError} when the registry has not answered once the budget
   *   is spent (503, retriable, as when it cannot be reached); nothing is sent then.
   */
  private async encodeAndSend(command: ProduceCommand, slots: RecordSlot[], stamps: Stamps, logger: Logger, remainingMs: () => number): Promise<SentAnswer> {
    const encodeMs = remainingMs();
    // Aborted when the budget runs out, so that the step stops where it is rather than go on asking
    // the registry for a request already answered.
    const spent = new AbortController();
    const encoded =
      command.encode === undefined
        ? slots
        : await withTimeout(command.encode(slots, spent.signal), encodeMs, () => {
            spent.abort();
            return new SchemaRegistryUnavailableError({ cause: new Error(`no answer within PRODUCE_TIMEOUT_MS (${this.deps.settings.timeoutMs} ms)`) });
          });
    return this.sendAndWrite(command.topic, encoded, stamps, command.writer, logger, remainingMs);
  }

  /**
   * Stamps and sends the records of `slots` that were not refused, and writes the answer of all
   * of them. It is complete (to be stored for an Idempotency-Key) only when every record of the
   * request was acknowledged. The partition checks and the send share `remainingMs`, what is left
   * of the request's one budget.
   */
  private async sendAndWrite(
    topic: string,
    read: readonly RecordSlot[],
    stamps: Stamps,
    writer: AnswerWriter,
    logger: Logger,
    remainingMs: () => number,
  ): Promise<SentAnswer> {
    // A writer that answers each record refuses a missing partition in its place; the send then need not check again.
    const slots = writer.answersEachRecord ? await this.refuseMissingPartitions(topic, read, remainingMs) : read;
    const { records, positions } = sendable(slots);
    stampRecords(records, positions === undefined ? stamps : { ...stamps, positions });
    const sent = records.length === 0 ? [] : await this.sendRecords(topic, records, logger, remainingMs, !writer.answersEachRecord);
    const outcomes = positions === undefined ? sent : outcomesOfSlots(slots, positions, sent);
    const complete = positions === undefined && countAcknowledged(sent) === sent.length;
    const { statusCode, body } = writer.write(slots, outcomes);
    return { response: jsonResponse(statusCode, body, { 'Content-Type': writer.mediaType }), complete };
  }

  /** The time left of a request's `PRODUCE_TIMEOUT_MS`, from now; it throws {@link ProduceTimeoutError} once none is. */
  private budget(): () => number {
    const { clock, settings } = this.deps;
    const startedMs = clock.nowMs();
    return () => {
      const remaining = settings.timeoutMs - (clock.nowMs() - startedMs);
      if (remaining <= 0) throw new ProduceTimeoutError(`no acknowledgement within ${settings.timeoutMs} ms`);
      return remaining;
    };
  }

  /**
   * Sends `records` in one batch with acks=all; records the broker did not acknowledge get a
   * failed outcome. With `checkPartitions`, a record naming a partition the topic does not have
   * fails the request (404) first.
   */
  private async sendRecords(
    topic: string,
    records: ProduceRecord[],
    logger: Logger,
    remainingMs: () => number,
    checkPartitions: boolean,
  ): Promise<RecordOutcome[]> {
    try {
      // Only an explicit partition can be missing; otherwise the send itself finds a missing topic (404).
      if (checkPartitions && records.some((record) => record.partition !== undefined)) await this.checkPartitions(topic, records, remainingMs);
      const outcome = await this.sendTimed(topic, records, remainingMs());
      const outcomes = recordOutcomes(
        outcome.partitions,
        outcome.acks,
        (partition) => new RecordsNotAcknowledgedError(`the broker did not acknowledge partition ${partition}`),
      );
      const acknowledged = countAcknowledged(outcomes);
      this.metrics.count(MetricName.RecordsProduced, acknowledged);
      logger.debug('records acknowledged', { topic, records: records.length, partitions: outcome.acks.length });
      if (acknowledged !== outcomes.length) logger.error('records not acknowledged', { topic, records: records.length, acknowledged });
      return outcomes;
    } catch (error) {
      if (error instanceof RecordsNotAcknowledgedError || error instanceof RecordsRejectedError) {
        // Each entry's `error` is the message in the API's terms; the broker's detail is logged here.
        const { status } = httpErrorAnswerOf(error);
        logger.error('records not acknowledged', { topic, records: records.length, httpStatus: status, ...errorFields(error) });
        return records.map(() => ({ partition: null, offset: null, error }));
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

  /**
   * The slots with each record that names a partition the topic does not have (even after a
   * metadata refresh) refused in its place, as Confluent's v3 answers such a record.
   *
   * @throws {TopicNotFoundError} for a missing topic (the whole request is about it).
   */
  private async refuseMissingPartitions(topic: string, slots: readonly RecordSlot[], remainingMs: () => number): Promise<readonly RecordSlot[]> {
    const named = (slot: RecordSlot): slot is ProduceRecord => !isRefused(slot) && slot.partition !== undefined;
    if (!slots.some(named)) return slots;
    const { producer } = this.deps;
    let partitionCount = await producer.partitionCount(topic, { timeoutMs: remainingMs() });
    const missing = (slot: RecordSlot): boolean => named(slot) && (slot.partition as number) >= partitionCount;
    if (!slots.some(missing)) return slots;
    // Partitions may have been added since the metadata was cached.
    partitionCount = await producer.partitionCount(topic, { timeoutMs: remainingMs(), refresh: true });
    return slots.map((slot) =>
      missing(slot)
        ? new PartitionNotFoundError(`partition ${(slot as ProduceRecord).partition} does not exist; topic "${topic}" has ${partitionCount}`)
        : slot,
    );
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

function countAcknowledged(outcomes: readonly RecordOutcome[]): number {
  let count = 0;
  for (const outcome of outcomes) if (outcome.error === null) count += 1;
  return count;
}

/** What stamps a request's records, but for their positions. */
type Stamps = Omit<RecordStamps, 'positions'>;

/** A written answer, and whether it is complete (every record of the request acknowledged). */
interface SentAnswer {
  response: HttpResponse;
  complete: boolean;
}

/**
 * The records of `slots` to send; with their positions in the request when some were refused
 * (undefined when none was, the common case, which then costs no copy).
 */
function sendable(slots: readonly RecordSlot[]): { records: ProduceRecord[]; positions: number[] | undefined } {
  if (!slots.some(isRefused)) return { records: slots as ProduceRecord[], positions: undefined };
  const records: ProduceRecord[] = [];
  const positions: number[] = [];
  slots.forEach((slot, position) => {
    if (isRefused(slot)) return;
    records.push(slot);
    positions.push(position);
  });
  return { records, positions };
}

/** One outcome per slot: a refused slot's own error, or the outcome of its record's send. */
function outcomesOfSlots(slots: readonly RecordSlot[], positions: readonly number[], sent: readonly RecordOutcome[]): RecordOutcome[] {
  const outcomes = slots.map(
    (slot): RecordOutcome => ({ partition: null, offset: null, error: isRefused(slot) ? slot : new InternalError('the record was not sent') }),
  );
  positions.forEach((position, index) => {
    outcomes[position] = sent[index] as RecordOutcome;
  });
  return outcomes;
}
