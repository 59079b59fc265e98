import { describe, expect, it } from 'vitest';
import { account, type SinkItem } from '../../../chaos/lib/accounting';

/** A sink item for chaos id `id`, written once, keyed as a record without a message-id header at `partition`/`offset`. */
function item(id: string, overrides: Partial<SinkItem> = {}): SinkItem {
  return { id, messageId: `events-0-${id}`, writes: 1, ...overrides };
}

describe('account', () => {
  it('counts nothing lost or duplicated when every acknowledged id is on the topic and in the sink once', () => {
    const result = account({ acknowledged: ['a', 'b', 'c'], onTopic: ['a', 'b', 'c'], sink: [item('c'), item('b'), item('a')] });
    expect(result).toMatchObject({ acknowledged: 3, onTopic: 3, inSink: 3, lost: 0, duplicated: 0, topicCopies: 0 });
  });

  it('counts an acknowledged id missing from the sink as lost', () => {
    const result = account({ acknowledged: ['a', 'b', 'c'], onTopic: ['a', 'b', 'c'], sink: [item('a'), item('c')] });
    expect(result).toMatchObject({ inSink: 2, lost: 1, lostIds: ['b'], lostExamples: ['b'] });
  });

  it('counts an acknowledged id missing from the topic as lost even when its effect exists', () => {
    const result = account({ acknowledged: ['a', 'b'], onTopic: ['a'], sink: [item('a'), item('b')] });
    expect(result).toMatchObject({ onTopic: 1, inSink: 2, lost: 1, lostExamples: ['b'] });
  });

  it('counts a second accepted write of one sink item as a duplicated effect', () => {
    const result = account({ acknowledged: ['a', 'b'], onTopic: ['a', 'b'], sink: [item('a', { writes: 2 }), item('b')] });
    expect(result).toMatchObject({ inSink: 2, lost: 0, duplicated: 1, duplicatedIds: ['a'] });
  });

  it('counts every accepted write beyond the first, summed over ids', () => {
    const result = account({ acknowledged: ['a', 'b'], onTopic: ['a', 'b'], sink: [item('a', { writes: 3 }), item('b', { writes: 2 })] });
    expect(result).toMatchObject({ duplicated: 3, duplicatedExamples: ['a', 'b'] });
  });

  it('counts one record applied under two identities as a duplicated effect', () => {
    const result = account({
      acknowledged: ['a'],
      onTopic: ['a'],
      sink: [item('a', { messageId: 'events-0-7' }), item('a', { messageId: 'caller:Zm9v:events-0-7' })],
    });
    expect(result).toMatchObject({ inSink: 1, lost: 0, duplicated: 1, duplicatedIds: ['a'], topicCopies: 0 });
  });

  it('reports a copy on the topic that shares a message-id and was applied once as a topic copy, not a duplicate', () => {
    const result = account({ acknowledged: ['a'], onTopic: ['a', 'a'], sink: [item('a', { messageId: 'm-1' })] });
    expect(result).toMatchObject({ lost: 0, duplicated: 0, topicCopies: 1 });
  });

  it('still counts a copy on the topic applied twice under its shared message-id as a duplicate', () => {
    const result = account({ acknowledged: ['a'], onTopic: ['a', 'a'], sink: [item('a', { messageId: 'm-1', writes: 2 })] });
    expect(result).toMatchObject({ duplicated: 1, topicCopies: 1 });
  });

  it('allows one item per record for copies without a message-id header: each is a message of its own', () => {
    const result = account({
      acknowledged: ['a'],
      onTopic: ['a', 'a'],
      sink: [item('a', { messageId: 'events-0-3', offset: 3 }), item('a', { messageId: 'events-0-43', offset: 43 })],
    });
    expect(result).toMatchObject({ lost: 0, duplicated: 0, topicCopies: 1 });
  });

  it('ignores messages that were never acknowledged when counting lost ones', () => {
    const result = account({ acknowledged: ['a'], onTopic: ['a', 'x'], sink: [item('a')] });
    expect(result).toMatchObject({ acknowledged: 1, lost: 0 });
  });

  // The short poison-record run that reported `lost=25 duplicated=40`: the scenario's producer
  // wrote partition 0's 40 messages twice (offsets 0-39 and 40-79), the consumer applied each
  // record once, and the sink was read while partition 1's 25 records after the poison record
  // were still waiting behind it. Counted per id without the topic, that was 40 duplicates.
  it('counts the poison-record run with partition 0 on the topic twice as 40 topic copies and the 25 late records as lost, and nothing duplicated', () => {
    const ids = (partition: number, from: number, to: number): string[] => Array.from({ length: to - from }, (_, n) => `r-p${partition}-${from + n}`);
    const good = [...ids(0, 0, 40), ...ids(1, 0, 40), ...ids(2, 0, 40)];
    const onTopic = [...ids(0, 0, 40), ...ids(0, 0, 40), ...ids(1, 0, 40), ...ids(2, 0, 40)];
    const sink = [
      ...ids(0, 0, 40).map((id, n) => item(id, { messageId: `events-0-${n}`, offset: n })),
      ...ids(0, 0, 40).map((id, n) => item(id, { messageId: `events-0-${40 + n}`, offset: 40 + n })),
      ...ids(1, 0, 15).map((id) => item(id)),
      ...ids(2, 0, 40).map((id) => item(id)),
    ];
    const result = account({ acknowledged: good, onTopic, sink });
    expect(result).toMatchObject({ acknowledged: 120, onTopic: 120, inSink: 95, lost: 25, duplicated: 0, topicCopies: 40 });
    expect(result.lostIds).toEqual(ids(1, 15, 40));
  });
});
