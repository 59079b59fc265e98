/** In-memory collaborators for unit tests of the produce runtime. */
import type { RecordProducer, SendOutcome } from '../../../lib/kafka/producer';
import type { IdempotencyRecord, IdempotencyStore } from '../../../lib/idempotency/types';
import { IdempotencyStatus } from '../../../lib/idempotency/types';

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

/** An IdempotencyStore in a Map, with a switch to make completion fail. */
export function memoryStore(): IdempotencyStore & { items: Map<string, IdempotencyRecord>; failCompletion: boolean } {
  const items = new Map<string, IdempotencyRecord>();
  const store = {
    items,
    failCompletion: false,
    async claim(claim: Omit<IdempotencyRecord, 'status' | 'result'>, nowMs: number) {
      const existing = items.get(claim.key);
      const free =
        existing === undefined ||
        existing.expiresAtEpochSec * 1000 <= nowMs ||
        (existing.status === IdempotencyStatus.InProgress && existing.leaseExpiresAtMs < nowMs);
      if (!free) return { claimed: false as const, existing };
      items.set(claim.key, { ...claim, status: IdempotencyStatus.InProgress });
      return { claimed: true as const };
    },
    async getMany(keys: readonly string[]) {
      return new Map(keys.flatMap((key) => (items.has(key) ? [[key, items.get(key) as IdempotencyRecord] as const] : [])));
    },
    async completeMany(completions: readonly { key: string; owner: string; expiresAtEpochSec: number; payloadHash?: string; result?: string }[]) {
      if (store.failCompletion) throw new Error('store down');
      for (const completion of completions) {
        items.set(completion.key, { ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 });
      }
    },
    async releaseMany(keys: readonly string[], owner: string) {
      for (const key of keys) if (items.get(key)?.owner === owner) items.delete(key);
    },
  };
  return store;
}
