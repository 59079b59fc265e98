/** In-memory collaborators for unit tests of the produce runtime (the idempotency store is test/helpers/memory-idempotency-store.ts). */
import type { OutgoingRecord, RecordProducer, SendOutcome } from '../../../lib/kafka/producer';

/** A producer whose answers the test decides; it records what it was asked to send. */
export function fakeProducer(options: {
  partitions?: number;
  send?: (records: number) => Promise<SendOutcome> | SendOutcome;
}): RecordProducer & { sent: number[]; sentRecords: OutgoingRecord[] } {
  const sent: number[] = [];
  const sentRecords: OutgoingRecord[] = [];
  return {
    sent,
    sentRecords,
    partitionCount: async () => options.partitions ?? 1,
    send: async (_topic, records) => {
      sent.push(records.length);
      sentRecords.push(...records);
      if (options.send === undefined) throw new Error('send was not expected');
      return options.send(records.length);
    },
    close: async () => undefined,
  };
}
