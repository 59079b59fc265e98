/**
 * A record-at-a-time processor (only `process`, no `processRun`) written as the processor
 * contract in lib/consume/processor.ts asks of a user's processor: a plain write when no
 * effect for the message may have run (`earlierAttempt` false), a write-if-absent keyed by
 * the message id when one may have. Such a processor trusts `earlierAttempt` completely, so
 * a wrong value shows as a second write.
 */
import type { Clock } from '../../lib/clock';
import type { MessageItem, MessagesTable } from '../../lib/dynamo/messages-table';
import type { RecordProcessor } from '../../lib/consume/processor';

/** Creates the processor writing to `table`. */
export function createRecordAtATimeProcessor(table: MessagesTable, clock: Clock): RecordProcessor {
  return {
    async process(record, context) {
      const item: MessageItem = {
        messageId: context.messageId,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        value: JSON.parse(record.value?.toString('utf8') ?? 'null') as unknown,
        processedAt: new Date(clock.nowMs()).toISOString(),
      };
      if (context.earlierAttempt) await table.putOnce(item);
      else await table.putAll([item]);
    },
  };
}
