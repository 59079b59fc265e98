/** The inspect tool against the real broker: what it prints, and what it leaves alone. */
import type { IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { inspectTopic, InspectUsageError, type InspectedRecord } from '../../../local/inspect';
import { silentLogger } from '../../../lib/logger';
import { createTestTopic, testConfig, testKafka, uniqueName, waitFor } from '../../helpers/infra';

async function committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

async function fill(topic: string): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: [
      { partition: 0, key: 'k0', value: '{"n":0}', headers: { 'message-id': 'm0' } },
      // kafkajs' types leave null out; its encoder writes it as Kafka's null header value.
      { partition: 0, key: null, value: 'not json', headers: { h: [Buffer.from('a'), null, Buffer.alloc(0)], gone: null } as unknown as IHeaders },
      { partition: 1, key: 'k1', value: '{"n":1}' },
    ],
  });
  await producer.disconnect();
}

describe('inspect', () => {
  it('prints every record from the beginning as JSON lines, then stops once caught up', async () => {
    const topic = await createTestTopic('inspect', 2);
    await fill(topic);
    const lines: string[] = [];

    const printed = await inspectTopic({
      config: testConfig(),
      topic,
      fromBeginning: true,
      idleMs: 20_000,
      write: (line) => lines.push(line),
      logger: silentLogger,
    });

    const records = lines.map((line) => JSON.parse(line) as InspectedRecord).sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
    expect(printed).toBe(3);
    expect(records[0]).toMatchObject({
      topic,
      partition: 0,
      offset: '0',
      key: 'azA=',
      value: 'eyJuIjowfQ==',
      headers: [{ name: 'message-id', value: 'bTA=' }],
      decoded: { key: 'k0', value: { n: 0 }, headers: { 'message-id': 'm0' } },
    });
    expect(records[1]).toMatchObject({ partition: 0, offset: '1', key: null, decoded: { key: null, value: 'not json' } });
    // Null header values print as JSON null in their places, apart from an empty value ("").
    expect(JSON.stringify(records[1]?.headers)).toBe(
      '[{"name":"h","value":"YQ=="},{"name":"h","value":null},{"name":"h","value":""},{"name":"gone","value":null}]',
    );
    expect(records[1]?.decoded.headers).toStrictEqual({ h: '', gone: null });
    expect(records[2]).toMatchObject({ partition: 1, offset: '0', decoded: { key: 'k1', value: { n: 1 } } });
  });

  it('stops after --limit records', async () => {
    const topic = await createTestTopic('inspect', 1);
    await fill(topic);
    const lines: string[] = [];
    const printed = await inspectTopic({
      config: testConfig(),
      topic,
      fromBeginning: true,
      limit: 1,
      idleMs: 20_000,
      write: (line) => lines.push(line),
      logger: silentLogger,
    });
    expect(printed).toBe(1);
    expect(lines).toHaveLength(1);
  });

  it("leaves another group's committed offsets exactly as they were", async () => {
    const topic = await createTestTopic('inspect', 2);
    await fill(topic);
    const pipelineGroup = uniqueName('pipeline-group');
    // Another group reads the first record of partition 0, commits past it and leaves.
    const other = testKafka().consumer({ groupId: pipelineGroup, maxWaitTimeInMs: 100 });
    let committedOne = false;
    await other.connect();
    await other.subscribe({ topic, fromBeginning: true });
    await other.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (partition === 0 && message.offset === '0' && !committedOne) {
          await other.commitOffsets([{ topic, partition: 0, offset: '1' }]);
          committedOne = true;
        }
      },
    });
    await waitFor('the other group committed', () => committedOne);
    await other.disconnect();

    await inspectTopic({ config: testConfig(), topic, fromBeginning: true, idleMs: 20_000, write: () => undefined, logger: silentLogger });

    expect(await committedOffsets(pipelineGroup, topic)).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '-1' },
    ]);
  });

  it('says so when the topic does not exist', async () => {
    await expect(
      inspectTopic({ config: testConfig(), topic: uniqueName('missing'), fromBeginning: true, idleMs: 1_000, write: () => undefined, logger: silentLogger }),
    ).rejects.toThrow(/does not exist/);
  });

  it("refuses to join the pipeline's own group", async () => {
    await expect(
      inspectTopic({
        config: testConfig(),
        topic: 'events',
        fromBeginning: true,
        groupId: 'consume-function',
        forbiddenGroups: ['consume-function'],
        idleMs: 1_000,
        write: () => undefined,
        logger: silentLogger,
      }),
    ).rejects.toBeInstanceOf(InspectUsageError);
  });
});
