/**
 * Generates malformed events for the consume handler, deterministically from a seed:
 * events that are not the event source's shape at all, and well-shaped events carrying
 * bad records, among them records whose caller header is forged. Each well-shaped event also carries one good record in a partition of its
 * own, which must be processed whatever its neighbours contain.
 */
import { kafkaEvent, type EventRecordSpec } from './kafka-events';
import type { Prng } from './prng';

/** One generated event. */
export interface GarbageEvent {
  kind: string;
  event: unknown;
  /** The good record's `"<topic>-<partition>"` and id, when the event carries one. */
  good?: { partition: string; offset: number; id: string };
  /** A record that the handler must report as failed when it returns a response. */
  mustFail?: { partition: string; offset: number };
  /** The id (in its value) of a record whose caller header is forged: it must never be attributed to a caller. */
  forged?: string;
}

/**
 * Stamps a caller header for a record as the produce function would (with the consumer's own
 * keys), so that the generator can copy a victim's valid header onto records it was not made for.
 */
export type VictimStamp = (record: { topic: string; messageId: string; value: string }) => string;

/** The caller whose headers forged records copy: printf 'iam:AIDAEXAMPLEVICTIM' | sha256sum. */
export const VICTIM_DIGEST = 'sha256:99d9864fd3571a10d6d8461faa3f0dbd608710b1070c096d084bb1442479b1db';

/** Forged caller headers, each for the record `{topic, messageId, value}` it goes on. */
const FORGED_CALLERS: Record<string, (prng: Prng, stamp: VictimStamp, record: { topic: string; messageId: string; value: string }) => string> = {
  // The victim's digest alone, as the header was before it carried a MAC.
  'caller-plain-digest': () => VICTIM_DIGEST,
  // The header's shape with a MAC nobody computed.
  'caller-random-mac': (prng) => `v1.local.${Buffer.from(VICTIM_DIGEST.slice(7), 'hex').toString('base64url')}.${prng.bytes(32).toString('base64url')}`,
  // The victim's valid header, copied from one of the victim's records onto this one.
  'caller-copied': (_, stamp, record) => stamp({ topic: record.topic, messageId: `${record.messageId}-original`, value: record.value }),
  // The victim's valid header for this very id, on another payload.
  'caller-copied-same-id': (_, stamp, record) => stamp({ topic: record.topic, messageId: record.messageId, value: '{"the":"original"}' }),
  // A key id the consumer does not hold.
  'caller-unknown-key': (_, stamp, record) => stamp(record).replace(/^v1\.[^.]+\./, 'v1.retired.'),
  'caller-garbage': (prng) => prng.bytes(prng.int(1, 200)).toString('base64'),
  'caller-over-long': (_, stamp, record) => `${stamp(record)}${'x'.repeat(200)}`,
};

type Shape = (prng: Prng, base: () => Record<string, unknown>) => unknown;

const SHAPES: Record<string, Shape> = {
  null: () => null,
  number: () => 42,
  string: () => 'aws:kafka',
  array: () => [],
  empty: () => ({}),
  'records-missing': (_, base) => ({ ...base(), records: undefined }),
  'records-null': (_, base) => ({ ...base(), records: null }),
  'records-array': (_, base) => ({ ...base(), records: [] }),
  'records-string': (_, base) => ({ ...base(), records: 'x' }),
  'wrong-event-source': (prng, base) => ({ ...base(), eventSource: prng.pick(['aws:sqs', 'aws:kinesis', '', 7]) }),
  'group-not-array': (_, base) => ({ ...base(), records: { 'chaos-0': { offset: 1 } } }),
  'record-null': (_, base) => ({ ...base(), records: { 'chaos-0': [null] } }),
  'record-empty': (_, base) => ({ ...base(), records: { 'chaos-0': [{}] } }),
  'offset-string': (_, base) => ({ ...base(), records: { 'chaos-0': [{ topic: 'chaos', partition: 0, offset: 'seven', value: 'e30=', headers: [] }] } }),
  'partition-string': (_, base) => ({ ...base(), records: { 'chaos-x': [{ topic: 'chaos', partition: 'x', offset: 1, value: 'e30=', headers: [] }] } }),
  'prototype-keys': () =>
    JSON.parse(
      '{"eventSource":"aws:kafka","records":{"__proto__":[{"topic":"__proto__","partition":0,"offset":0,"value":"e30=","headers":[]}],"constructor":[]}}',
    ) as unknown,
};

/** Record-level garbage inside a well-shaped event: value bytes and, where the contract says so, a required failure. */
const BAD_VALUES: Record<string, { value: Buffer | string | null; mustFail: boolean; headers?: Record<string, string> }> = {
  'value-not-json': { value: '{"unterminated": ', mustFail: true },
  'value-text': { value: 'hello, world', mustFail: true },
  'value-empty': { value: '', mustFail: true },
  'value-tombstone': { value: null, mustFail: false },
  'value-invalid-utf8': { value: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), mustFail: false },
  'value-utf16': { value: Buffer.from('{"a":1}', 'utf16le'), mustFail: true },
  'value-deep': { value: `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`, mustFail: false },
  'value-prototype': { value: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}', mustFail: false },
  'header-message-id-empty': { value: '{"ok":true}', mustFail: false, headers: { 'message-id': '' } },
  'header-message-id-huge': { value: '{"ok":true}', mustFail: false, headers: { 'message-id': 'm'.repeat(2_000) } },
};

/**
 * Generates `count` malformed events for topic `topic` (partitions 0 and 1 carry garbage,
 * partition 2 the good record). Offsets grow across events so that no two records share
 * a `"<topic>-<partition>-<offset>"` identity.
 */
export function generateGarbageEvents(prng: Prng, topic: string, count: number, runId: string, stamp: VictimStamp): GarbageEvent[] {
  const shapes = Object.keys(SHAPES);
  const values = Object.keys(BAD_VALUES);
  const forgeries = Object.keys(FORGED_CALLERS);
  const kinds = [...shapes, ...values, ...forgeries, 'bad-headers', 'value-not-base64'];
  const base = (): Record<string, unknown> => ({ ...kafkaEvent([]) });
  const events: GarbageEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = i < kinds.length ? (kinds[i] as string) : prng.pick(kinds);
    const shape = SHAPES[kind];
    if (shape !== undefined) {
      events.push({ kind, event: shape(prng, base) });
      continue;
    }
    const offset = 1_000 + i;
    const goodId = `${runId}-good-${i}`;
    const good: EventRecordSpec = { topic, partition: 2, offset, key: 'good', value: JSON.stringify({ id: goodId }) };
    const bad = BAD_VALUES[kind];
    if (bad !== undefined) {
      const badRecord: EventRecordSpec = {
        topic,
        partition: 0,
        offset,
        key: 'bad',
        value: bad.value,
        ...(bad.headers === undefined ? {} : { headers: bad.headers }),
      };
      events.push({
        kind,
        event: kafkaEvent([badRecord, good]),
        good: { partition: `${topic}-2`, offset, id: goodId },
        ...(bad.mustFail ? { mustFail: { partition: `${topic}-0`, offset } } : {}),
      });
      continue;
    }
    const forge = FORGED_CALLERS[kind];
    if (forge !== undefined) {
      const forgedId = `${runId}-forged-${i}`;
      const record = { topic, messageId: `${runId}-victim-${i}`, value: JSON.stringify({ id: forgedId }) };
      const forged: EventRecordSpec = {
        topic,
        partition: 1,
        offset,
        value: record.value,
        headers: { 'message-id': record.messageId, 'x-caller-id': forge(prng, stamp, record) },
      };
      events.push({ kind, event: kafkaEvent([forged, good]), good: { partition: `${topic}-2`, offset, id: goodId }, forged: forgedId });
      continue;
    }
    const event = kafkaEvent([{ topic, partition: 1, offset, value: '{"b":1}' }, good]);
    const wire = event.records[`${topic}-1`]?.[0] as unknown as Record<string, unknown>;
    if (kind === 'bad-headers') wire.headers = prng.pick<unknown>([{}, 'x', [1], [{ 'message-id': 'abc' }], [{ 'message-id': [999, -1, 'x'] }], [null]]);
    else wire.value = prng.pick(['%%%', '!!', 'e30', '====']);
    events.push({ kind, event, good: { partition: `${topic}-2`, offset, id: goodId } });
  }
  return events;
}
