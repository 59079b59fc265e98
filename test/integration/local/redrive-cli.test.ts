/**
 * `npm run redrive`'s command line (scripts/redrive.ts) as a user runs it, against the test
 * broker: its arguments, the summary line on stdout, the exit codes.
 */
import { describe, expect, it } from 'vitest';
import { failureMessage, FailureCondition } from '../../../local/emulator/failure-record';
import { ROOT, run } from '../deploy/stack';
import { createTestTopic, testBrokers, testKafka, uniqueName, waitFor } from '../../helpers/infra';

function runRedrive(args: string[]) {
  const env = { ...process.env, KAFKA_BROKERS: testBrokers().join(','), AWS_REGION: 'us-east-1' };
  return run(process.execPath, ['--import', 'tsx', 'scripts/redrive.ts', ...args], env, ROOT);
}

describe('npm run redrive (the command)', () => {
  it('prints a dry run as one JSON line, applies with --apply, and refuses bad arguments with exit code 2', { timeout: 60_000 }, async () => {
    const source = await createTestTopic('redrive-source', 1);
    const onFailure = await createTestTopic('redrive-dlq', 1);
    const message = failureMessage(
      { topic: source, partition: 0, offset: '7', timestampMs: Date.now(), key: Buffer.from('k'), value: Buffer.from('{"n":7}'), headers: [] },
      {
        condition: FailureCondition.RetryAttemptsExhausted,
        lastInvocation: { requestId: 'r', invokeCount: 4 },
        reason: 'processor failed',
        failedAtMs: Date.now(),
      },
      { cluster: { brokers: testBrokers(), region: 'us-east-1' }, functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' },
      () => 'id',
    );
    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({
        topic: onFailure,
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers: { 'x-failure-reason': 'processor failed' } }],
      });
    } finally {
      await producer.disconnect();
    }
    const group = uniqueName('redrive-cli');

    const dry = await runRedrive(['--topic', onFailure, '--group', group]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      mode: 'dry-run',
      read: 1,
      matched: 1,
      redriven: 0,
      reasons: { 'processor failed': 1 },
      sourceTopics: { [source]: 1 },
    });
    expect(dry.stderr).toContain('would redrive 1 of 1 failure record(s)');

    const applied = await runRedrive(['--apply', '--topic', onFailure, '--group', group, '--reason', 'processor']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ mode: 'apply', matched: 1, redriven: 1 });
    const consumer = testKafka().consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
    const seen: { key: string; value: string; from: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: source, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message: record }) => {
        seen.push({ key: String(record.key), value: String(record.value), from: String(record.headers?.['redriven-from']) });
      },
    });
    try {
      await waitFor('the redriven record on its source topic', () => seen.length >= 1);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([{ key: 'k', value: '{"n":7}', from: `${onFailure}/0/0` }]);

    for (const bad of [['--apply', '--dry-run'], ['--partition', 'x'], ['--from-offset', '5', '--to-offset', '4'], ['--frobnicate']]) {
      const refused = await runRedrive(bad);
      expect(refused.code, bad.join(' ')).toBe(2);
      expect(refused.stderr).toContain('usage: npm run redrive');
    }
  });
});
