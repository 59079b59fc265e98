/** In-memory collaborators for unit tests of the produce runtime (the idempotency store is test/helpers/memory-idempotency-store.ts). */
import type { RecordProducer, SendOutcome } from '../../../lib/kafka/producer';

/** A producer whose answers the test decides; it records what it was asked to send. */
export function fakeProducer(options: {
  partitions?: number;
  send?: (records: number) => Promise<SendOutcome> | SendOutcome;
}): RecordProducer & { sent: number[] } {
  const sent: number[] = [];
  return {
    sent,
    partitionCount: async () => options.partitions ?? 1,
    send: async (_topic, records) => {
      sent.push(records.length);
      if (options.send === undefined) throw new Error('send was not expected');
      return options.send(records.length);
    },
    close: async () => undefined,
  };
}
