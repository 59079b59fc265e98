/**
 * The one place a user of this project implements the business step for consumed records.
 * The runtime claims a run of up to {@link RUN_LIMIT} records of one partition, in offset
 * order, and applies them: together with `processRun` when the processor has it, else one
 * after another with `process`; then it marks them complete.
 */
import type { ConsumedRecord } from './event';

/**
 * Most records applied together: DynamoDB's BatchWriteItem limit, so a run's effects (in the
 * default processor) and its completions are one request each.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
export const RUN_LIMIT = 25;

/** What the runtime tells the processor about the record in hand. */
export interface ProcessContext {
  /**
   * The message's identity: its `message-id` header, or `<topic>-<partition>-<offset>`;
   * qualified as `caller:<caller, base64url>:<message id>` when the produce function stamped
   * a caller, so two callers' equal ids stay two messages. Stable across redeliveries, so the
   * processor can make its own writes conditional on it.
   */
  messageId: string;
  /** The caller the produce function stamped on the record (`x-caller-id`), when it did. */
  callerId?: string;
  /** Id of the invocation processing the record (Lambda's request id locally generated otherwise). */
  invocationId: string;
  /**
   * True when an effect for this message may have run before: the claim took over one that
   * an earlier attempt held (it crashed, timed out, failed after starting its effect, or lost
   * its lease), or an attempt in this invocation failed after starting. The effect must then
   * be conditional on `messageId` (write only what is not written). False when no effect for
   * the message ever started, so a plain write applies it once.
   */
  earlierAttempt: boolean;
}

/** One record of a run, with its context. */
export interface RunItem {
  record: ConsumedRecord;
  context: ProcessContext;
}

/**
 * A record's business step. Resolve when the effect is durable; throw to fail the record,
 * which stops its partition in this invocation and has the event source deliver it again.
 * An error whose `retriable` property is true (a dependency that may come back, like the
 * default processor's StoreUnavailableError) is tried again within the invocation while its
 * remaining time allows, instead of using up one of the event source's retries.
 * After a crash between the effect and its completion the record is delivered again, with
 * `context.earlierAttempt` true: the effect must then be safe to repeat (a conditional write
 * keyed by `context.messageId` makes it so).
 */
export interface RecordProcessor {
  process(record: ConsumedRecord, context: ProcessContext): Promise<void>;
  /**
   * Optional: applies a run of claimed records of one partition (1 to {@link RUN_LIMIT}, in
   * offset order) together, for instance with one batched write. Resolve when every effect is
   * durable. Throw a `RunStoppedError(applied, cause)` when the first `applied` records are
   * durable and the next one failed; any other error counts as none applied, and each record
   * of the run is then tried again with `earlierAttempt` true. Either way the partition stops
   * at the first record not applied, and the report starts there.
   */
  processRun?(items: readonly RunItem[]): Promise<void>;
}
