/** Stored records and record plans for the partition worker's unit tests. */
import { decodeKafkaEvent, type PartitionEntry } from '../../../lib/consume/event';
import type { ClaimPlan } from '../../../lib/consume/record-plan';
import type { IdempotencyStatus, IdempotencyRecord } from '../../../lib/idempotency/types';
import { kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock } from './fake-store';

/** The time a new {@link FakeClock} starts at. */
export const START_MS = new FakeClock().nowMs();

/** A stored key: held by `other` for a second past {@link START_MS} unless `fields` say otherwise. */
export function storedRecord(status: IdempotencyStatus, fields: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return { key: 'k', status, owner: 'other', leaseExpiresAtMs: START_MS + 1_000, expiresAtEpochSec: 4_000_000_000, ...fields };
}

/** The entries of the first partition of an event made of `specs`. */
export function entriesOf(specs: readonly RecordSpec[]): PartitionEntry[] {
  return decodeKafkaEvent(kafkaEvent(specs)).partitions[0]?.entries ?? [];
}

/** A plan to claim the record at `offset` of orders-0 under key `consume:test:orders-0-<offset>`, payload hash `h<offset>`. */
export function claimPlan(offset: number, fields: Partial<ClaimPlan> = {}): ClaimPlan {
  const entry = entriesOf([{ offset }])[0] as { record: ClaimPlan['record'] };
  return { kind: 'claim', record: entry.record, messageId: `orders-0-${offset}`, key: `consume:test:orders-0-${offset}`, hash: `h${offset}`, ...fields };
}
