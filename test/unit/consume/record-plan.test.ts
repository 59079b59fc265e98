import { describe, expect, it } from 'vitest';
import { fakeCallerCheck } from '../../helpers/caller-keys';
import { decodeKafkaEvent, type PartitionEntry } from '../../../lib/consume/event';
import {
  firstStopIndex,
  identifyEntries,
  liveHolder,
  planPartition,
  planRecord,
  type ClaimPlan,
  type RecordFacts,
  type RecordPlan,
} from '../../../lib/consume/record-plan';
import { NO_VERIFIED_CALLER } from '../../../lib/consume/message-id';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { kafkaEvent } from '../../helpers/kafka-events';
import { entriesOf, START_MS, storedRecord } from './plans';

const NOW_MS = START_MS;
const OWNER = 'inv-1/orders-0';

describe('planRecord', () => {
  const inProgress = storedRecord(IdempotencyStatus.InProgress);
  const cases: { name: string; facts: RecordFacts; expected: ReturnType<typeof planRecord> }[] = [
    { name: 'never seen: claim', facts: { key: 'k', hash: 'h1' }, expected: { kind: 'claim' } },
    { name: 'earlier copy in the partition, same payload: duplicate', facts: { key: 'k', hash: 'h1', earlierHash: 'h1' }, expected: { kind: 'duplicate' } },
    { name: 'earlier copy in the partition, other payload: reused', facts: { key: 'k', hash: 'h1', earlierHash: 'h2' }, expected: { kind: 'reused' } },
    {
      name: 'an earlier copy decides before the store (a COMPLETED other payload does not count)',
      facts: { key: 'k', hash: 'h1', earlierHash: 'h1', known: storedRecord(IdempotencyStatus.Completed, { payloadHash: 'h2' }) },
      expected: { kind: 'duplicate' },
    },
    {
      name: 'COMPLETED with the same payload: duplicate',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.Completed, { payloadHash: 'h1' }) },
      expected: { kind: 'duplicate' },
    },
    {
      name: 'COMPLETED with another payload: reused',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.Completed, { payloadHash: 'h2' }) },
      expected: { kind: 'reused' },
    },
    {
      name: 'COMPLETED without a stored hash: duplicate',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.Completed) },
      expected: { kind: 'duplicate' },
    },
    {
      name: "IN_PROGRESS under another owner's live lease: claim, held",
      facts: { key: 'k', hash: 'h1', known: inProgress },
      expected: { kind: 'claim', held: inProgress },
    },
    {
      name: 'IN_PROGRESS with a lease ending this very millisecond: still held',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS }) },
      expected: { kind: 'claim', held: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS }) },
    },
    {
      name: 'IN_PROGRESS with a lease that ran out: claim',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS - 1 }) },
      expected: { kind: 'claim' },
    },
    {
      name: "IN_PROGRESS for another payload under another owner's live lease: claim, held (it may yet be released unapplied)",
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2' }) },
      expected: { kind: 'claim', held: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2' }) },
    },
    {
      name: 'IN_PROGRESS for another payload whose lease ran out: reused',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2', leaseExpiresAtMs: NOW_MS - 1 }) },
      expected: { kind: 'reused' },
    },
    {
      name: 'IN_PROGRESS for another payload, abandoned (lease 0): reused, never taken over',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2', leaseExpiresAtMs: 0 }) },
      expected: { kind: 'reused' },
    },
    {
      name: 'IN_PROGRESS for the same payload, abandoned (lease 0): claim',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h1', leaseExpiresAtMs: 0 }) },
      expected: { kind: 'claim' },
    },
    {
      name: 'IN_PROGRESS under this owner: claim (renews)',
      facts: { key: 'k', hash: 'h1', known: storedRecord(IdempotencyStatus.InProgress, { owner: OWNER }) },
      expected: { kind: 'claim' },
    },
  ];

  it.each(cases)('$name', ({ facts, expected }) => {
    expect(planRecord(facts, OWNER, NOW_MS)).toEqual(expected);
  });
});

describe('planPartition', () => {
  /** Plans `entries` under scope `test`, their identities worked out as the batch handler does (`ok:<caller>` proves a caller). */
  const planOf = (entries: PartitionEntry[], known: Map<string, IdempotencyRecord> = new Map()) =>
    planPartition(entries, identifyEntries(entries, 'test', fakeCallerCheck), known, OWNER, NOW_MS);
  const kinds = (plans: RecordPlan[]) => plans.map((plan) => (plan.kind === 'invalid' ? `invalid: ${plan.failure.reason}` : plan.kind));

  it('keys records by scope and message id, falling back to topic-partition-offset', () => {
    const plans = planOf(entriesOf([{ offset: 1, headers: { 'message-id': 'm-1' } }, { offset: 2 }])) as ClaimPlan[];
    expect(plans.map(({ kind, key, messageId }) => ({ kind, key, messageId }))).toEqual([
      { kind: 'claim', key: 'consume:test:m-1', messageId: 'm-1' },
      { kind: 'claim', key: 'consume:test:orders-0-2', messageId: 'orders-0-2' },
    ]);
    expect(plans[0]?.record.offset).toBe(1);
  });

  it('qualifies the identity by a proven caller header', () => {
    const [plan] = planOf(entriesOf([{ offset: 1, headers: { 'message-id': 'm', 'x-caller-id': 'ok:alice' } }])) as ClaimPlan[];
    expect(plan).toMatchObject({ key: 'consume:test:caller:YWxpY2U:m', messageId: 'caller:YWxpY2U:m', callerId: 'alice' });
  });

  it('plans repeated ids in a partition: same payload a duplicate, another payload invalid', () => {
    const id = { 'message-id': 'm-1' };
    const plans = planOf(
      entriesOf([
        { offset: 1, value: { a: 1 }, headers: id },
        { offset: 2, value: { a: 1 }, headers: id },
        { offset: 3, value: { a: 2 }, headers: id },
      ]),
    );
    expect(kinds(plans)).toEqual(['claim', 'duplicate', 'invalid: message id reused with a different payload']);
  });

  it('plans a malformed record invalid, with its decoding error', () => {
    const event = kafkaEvent([{ offset: 1 }, { offset: 2 }]) as unknown as { records: Record<string, Record<string, unknown>[]> };
    (event.records['orders-0']?.[1] as Record<string, unknown>).value = '%%%';
    const plans = planOf(decodeKafkaEvent(event).partitions[0]?.entries ?? []);
    expect(kinds(plans)).toEqual(['claim', 'invalid: malformed record']);
    expect(plans[1]).toMatchObject({ failure: { error: expect.any(Error) } });
  });

  it('notes a key the batch read found held by another owner', () => {
    const held = storedRecord(IdempotencyStatus.InProgress, { key: 'consume:test:orders-0-1' });
    const plans = planOf(entriesOf([{ offset: 1 }]), new Map([[held.key, held]]));
    expect(plans[0]).toMatchObject({ kind: 'claim', held });
  });
});

describe('firstStopIndex', () => {
  const claim = { kind: 'claim' } as ClaimPlan;
  const held = { kind: 'claim', held: storedRecord(IdempotencyStatus.InProgress) } as ClaimPlan;
  const invalid: RecordPlan = { kind: 'invalid', failure: { reason: 'malformed record' } };
  const duplicate: RecordPlan = { kind: 'duplicate' };
  const cases: { plans: RecordPlan[]; canWait: boolean; expected: number }[] = [
    { plans: [claim, duplicate, claim], canWait: false, expected: -1 },
    { plans: [claim, invalid, claim], canWait: true, expected: 1 },
    { plans: [claim, held, invalid], canWait: false, expected: 1 },
    { plans: [claim, held, invalid], canWait: true, expected: 2 },
    { plans: [], canWait: false, expected: -1 },
  ];
  it.each(cases)('%#: stops at $expected (canWait $canWait)', ({ plans, canWait, expected }) => {
    expect(firstStopIndex(plans, canWait)).toBe(expected);
  });
});

describe('liveHolder', () => {
  const holder = storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS });
  it.each([
    { nowMs: NOW_MS - 1, expected: holder },
    { nowMs: NOW_MS, expected: holder },
    { nowMs: NOW_MS + 1, expected: undefined },
  ])('at $nowMs', ({ nowMs, expected }) => {
    expect(liveHolder({ kind: 'claim', held: holder } as ClaimPlan, nowMs)).toEqual(expected);
  });

  it('is undefined for a key the batch read did not find held', () => {
    expect(liveHolder({ kind: 'claim' } as ClaimPlan, NOW_MS)).toBeUndefined();
  });
});

describe('planPartition: the exact plans', () => {
  it('plans a key the batch read did not find as absent, and one it found held with its holder, and nothing else', () => {
    const entries = entriesOf([{ offset: 1 }, { offset: 2 }]);
    const held = storedRecord(IdempotencyStatus.InProgress, { key: 'consume:test:orders-0-2' });
    const plans = planPartition(entries, identifyEntries(entries, 'test', NO_VERIFIED_CALLER), new Map([[held.key, held]]), OWNER, NOW_MS);
    const record = (index: number) => (entries[index] as { record: unknown }).record;
    expect(plans).toStrictEqual([
      { kind: 'claim', record: record(0), messageId: 'orders-0-1', key: 'consume:test:orders-0-1', hash: expect.any(String), absent: true },
      { kind: 'claim', record: record(1), messageId: 'orders-0-2', key: 'consume:test:orders-0-2', hash: expect.any(String), held },
    ]);
  });

  it('identifies a record without a caller by its message id alone', () => {
    const entries = entriesOf([{ offset: 1, headers: { 'message-id': 'm' } }]);
    expect(identifyEntries(entries, 'test', NO_VERIFIED_CALLER)).toStrictEqual([{ messageId: 'm', key: 'consume:test:m' }]);
  });

  it('plans a record given no identity invalid rather than failing', () => {
    const entries = entriesOf([{ offset: 1 }]);
    expect(planPartition(entries, [undefined], new Map(), OWNER, NOW_MS)).toEqual([
      { kind: 'invalid', failure: { reason: 'malformed record', error: undefined } },
    ]);
  });
});
