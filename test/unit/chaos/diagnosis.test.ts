import { describe, expect, it } from 'vitest';
import {
  classifyLoss,
  duplicateLines,
  emulatorLinesFor,
  invocationOf,
  LossCause,
  lossesLines,
  lossLines,
  parseLog,
  type LogLine,
} from '../../../chaos/lib/diagnosis';

const processed =
  '{"level":"info","time":"2026-12-05T10:00:01.200Z","message":"event source: batch processed","component":"event-source","topic":"events","partition":0,"firstOffset":"0","lastOffset":"39","delivered":40,"awsRequestId":"req-a","durationMs":150,"processed":40}';
const again =
  '{"level":"info","time":"2026-12-05T10:00:05.100Z","message":"event source: batch processed","component":"event-source","topic":"events","partition":0,"firstOffset":"0","lastOffset":"39","delivered":40,"awsRequestId":"req-b","durationMs":90,"processed":40}';
const consumed = '{"level":"info","time":"2026-12-05T10:00:01.199Z","message":"consume batch","component":"consume","invocationId":"req-a:5f0c","records":40}';
const retry =
  '{"level":"info","time":"2026-12-05T10:00:02.000Z","message":"event source: batch failed, will retry","component":"event-source","topic":"events","partition":1,"firstOffset":"15","lastOffset":"40","delivered":26,"awsRequestId":"req-c","durationMs":20,"failedOffset":"15"}';
const other = '{"level":"info","time":"2026-12-05T10:00:01.000Z","message":"records flowing","component":"flow"}';

function log(...raw: string[]): LogLine[] {
  return parseLog(raw.join('\n'));
}

describe('parseLog', () => {
  it('keeps the JSON lines with a time and a message, and skips the rest', () => {
    const lines = parseLog(['ready http=http://127.0.0.1:1 kafka=x dynamodb=y', processed, '{"no":"message"}', '{broken'].join('\n'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ message: 'event source: batch processed', timeMs: Date.parse('2026-12-05T10:00:01.200Z'), raw: processed });
  });
});

describe('emulatorLinesFor', () => {
  it('finds the batch lines whose offsets cover the record, on its partition only', () => {
    const lines = log(other, processed, retry, again);
    expect(emulatorLinesFor(lines, { topic: 'events', partition: 0, offset: 5 }).map((line) => line.raw)).toEqual([processed, again]);
    expect(emulatorLinesFor(lines, { topic: 'events', partition: 1, offset: 20 }).map((line) => line.raw)).toEqual([retry]);
    expect(emulatorLinesFor(lines, { topic: 'events', partition: 1, offset: 41 })).toEqual([]);
  });
});

describe('invocationOf', () => {
  it('names the consume invocation whose emulator batch was running when the item was made', () => {
    expect(invocationOf(log(consumed, processed, again), { topic: 'events', partition: 0, offset: 5 }, '2026-12-05T10:00:01.100Z')).toBe('req-a:5f0c');
  });

  it('falls back to the request id when the consume line is missing', () => {
    expect(invocationOf(log(processed, again), { topic: 'events', partition: 0, offset: 5 }, '2026-12-05T10:00:05.050Z')).toBe('awsRequestId=req-b');
  });

  it('says so when no batch was running then', () => {
    expect(invocationOf(log(processed), { topic: 'events', partition: 0, offset: 5 }, '2026-12-05T10:00:03.000Z')).toBe(
      'unknown (no emulator batch line covers it: an in-process consumer, or the log was cut)',
    );
  });
});

describe('duplicateLines', () => {
  it('prints the message, every item holding it with each accepted write and its invocation, and the emulator lines', () => {
    const lines = duplicateLines({
      id: 'run-p0-5',
      records: [{ topic: 'events', partition: 0, offset: 5 }],
      items: [{ id: 'run-p0-5', messageId: 'events-0-5', topic: 'events', partition: 0, offset: 5, processedAt: '2026-12-05T10:00:05.050Z', writes: 2 }],
      writes: [
        {
          key: 'events-0-5',
          operation: 'BatchWriteItem',
          request: 12,
          acceptedAtMs: Date.parse('2026-12-05T10:00:01.130Z'),
          processedAt: '2026-12-05T10:00:01.100Z',
        },
        {
          key: 'events-0-5',
          operation: 'BatchWriteItem',
          request: 31,
          acceptedAtMs: Date.parse('2026-12-05T10:00:05.070Z'),
          processedAt: '2026-12-05T10:00:05.050Z',
        },
      ],
      log: log(consumed, processed, again),
    });
    expect(lines).toEqual([
      '  duplicated run-p0-5: 2 effect(s) in 1 sink item(s); 1 record(s) on the topic at events/0/5',
      '    sink item messageId=events-0-5 caller=- topic=events partition=0 offset=5 processedAt=2026-12-05T10:00:05.050Z accepted_writes=2',
      '      write 1: BatchWriteItem request=12 processedAt=2026-12-05T10:00:01.100Z accepted_at=2026-12-05T10:00:01.130Z invocation=req-a:5f0c',
      '      write 2: BatchWriteItem request=31 processedAt=2026-12-05T10:00:05.050Z accepted_at=2026-12-05T10:00:05.070Z invocation=awsRequestId=req-b',
      `      emulator: ${processed}`,
      `      emulator: ${again}`,
    ]);
  });

  it('marks a write that sent the item of an earlier write again (same processedAt)', () => {
    const lines = duplicateLines({
      id: 'run-p0-5',
      items: [{ id: 'run-p0-5', messageId: 'events-0-5', topic: 'events', partition: 0, offset: 5, processedAt: '2026-12-05T10:00:01.100Z', writes: 2 }],
      writes: [
        {
          key: 'events-0-5',
          operation: 'BatchWriteItem',
          request: 12,
          acceptedAtMs: Date.parse('2026-12-05T10:00:01.130Z'),
          processedAt: '2026-12-05T10:00:01.100Z',
        },
        {
          key: 'events-0-5',
          operation: 'BatchWriteItem',
          request: 13,
          acceptedAtMs: Date.parse('2026-12-05T10:00:01.190Z'),
          processedAt: '2026-12-05T10:00:01.100Z',
        },
      ],
      log: log(consumed, processed),
    });
    expect(lines[0]).toBe('  duplicated run-p0-5: 2 effect(s) in 1 sink item(s); the topic was not read');
    expect(lines[3]).toBe(
      '      write 2: BatchWriteItem request=13 processedAt=2026-12-05T10:00:01.100Z accepted_at=2026-12-05T10:00:01.190Z invocation=req-a:5f0c same_item_as=write 1',
    );
  });
});

describe('classifyLoss', () => {
  const record = { topic: 'events', partition: 1, offset: 21 };
  it.each([
    ['not on the topic', { deadLettered: false, committed: 41 }, LossCause.NotOnTopic],
    ['on the dead-letter topic', { record, deadLettered: true, committed: 41 }, LossCause.DeadLettered],
    ['at or after the committed offset', { record, deadLettered: false, committed: 16 }, LossCause.NotConsumedYet],
    ['before any commit', { record, deadLettered: false, committed: -1 }, LossCause.NotConsumedYet],
    ['with the committed offset unknown', { record, deadLettered: false }, LossCause.NotConsumedYet],
    ['behind the committed offset without an effect', { record, deadLettered: false, committed: 41 }, LossCause.CommittedWithoutEffect],
  ])('%s', (_, facts, expected) => {
    expect(classifyLoss(facts)).toBe(expected);
  });
});

describe('lossLines', () => {
  it('says where the record is and that the drain ended too soon when it was not consumed yet', () => {
    const lines = lossLines(
      { id: 'run-p1-20', record: { topic: 'events', partition: 1, offset: 21 }, deadLettered: false, committed: 15 },
      { drained: false, why: 'stalled for 30000 ms' },
      log(retry),
    );
    expect(lines).toEqual([
      '  lost run-p1-20: on the topic at events/1/21; not on the dead-letter topic; not behind the committed offset (partition 1 committed 15); not consumed yet: the drain ended too soon (stalled for 30000 ms)',
      `    emulator: ${retry}`,
    ]);
  });

  it('calls a record committed past without an effect by its cause', () => {
    const [line] = lossLines(
      { id: 'run-p2-3', record: { topic: 'events', partition: 2, offset: 3 }, deadLettered: false, committed: 40 },
      { drained: true },
      [],
    );
    expect(line).toBe(
      '  lost run-p2-3: on the topic at events/2/3; not on the dead-letter topic; behind the committed offset (partition 2 committed 40); committed-without-effect: the consumer moved past it without applying it',
    );
  });
});

describe('lossesLines', () => {
  it('counts the losses by cause and prints the first ten in full', () => {
    const losses = Array.from({ length: 12 }, (_, n) => ({ id: `run-p1-${n}`, deadLettered: false }));
    const lines = lossesLines(losses, { drained: true }, []);
    expect(lines[0]).toBe('  lost by cause: not-on-topic=12');
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe('  ... and 2 more lost');
  });
});
