/**
 * The one place a user of this project implements the business step for consumed records.
 * The runtime calls it once per record, in offset order within a partition, between claiming
 * the record's idempotency key and marking it complete.
 */
import type { ConsumedRecord } from './event';

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
}

/**
 * A record's business step. Resolve when the effect is durable; throw to fail the record,
 * which stops its partition in this invocation and has the event source deliver it again.
 * An error whose `retriable` property is true (a dependency that may come back, like the
 * default processor's StoreUnavailableError) is tried again within the invocation while its
 * remaining time allows, instead of using up one of the event source's retries.
 * After a crash between the effect and its completion the record is delivered again, so the
 * effect should be safe to repeat (a conditional write keyed by `context.messageId` makes it so).
 */
export interface RecordProcessor {
  process(record: ConsumedRecord, context: ProcessContext): Promise<void>;
}
