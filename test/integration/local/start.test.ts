/**
 * `npm start` as a user runs it: a child process (npm, then the pipeline on the project's
 * Node.js) against the test broker and store, its ready line parsed, one message posted and
 * seen in the sink, then SIGTERM and a clean exit, with no runtime warning on the way.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { testBrokers, testDynamo, testDynamoEndpoint, testSchemaRegistryUrl, uniqueName, waitFor } from '../../helpers/infra';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const READY = /^ready http=(\S+) kafka=(\S+) dynamodb=(\S+) registry=(\S+)$/m;
// Message id `start-test-1` from the local runtime's anonymous caller, whose digest is
// sha256:2f183a4e… (SHA-256 of "anonymous"), as base64url in the sink's caller-qualified key.
const SINK_ID = 'caller:c2hhMjU2OjJmMTgzYTRlNjQ0OTNhZjNmMzc3Zjc0NWVkYTUwMjM2M2NkM2U3ZWY2ZTRkMjY2ZDQ0NDc1OGRlMGE4NWZjYzg:start-test-1';

describe('npm start', () => {
  it('prints the ready line with no runtime warning, takes a message to the sink, and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
    const topic = uniqueName('start-events');
    const messagesTable = uniqueName('messages');
    const child = spawn('npm', ['start', '--', '--topic', topic, '--on-failure-topic', `${topic}-dlq`, '--group', uniqueName('start-group')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KAFKA_BROKERS: testBrokers().join(','),
        DYNAMODB_ENDPOINT: testDynamoEndpoint(),
        SCHEMA_REGISTRY_URL: testSchemaRegistryUrl(),
        PORT: '0',
        IDEMPOTENCY_TABLE: uniqueName('idempotency'),
        MESSAGES_TABLE: messagesTable,
      },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });

    try {
      const [, httpUrl, kafka, dynamodb, registry] = await waitFor('the ready line', () => READY.exec(output) ?? undefined, { timeoutMs: 60_000 });
      expect(kafka).toBe(testBrokers().join(','));
      expect(dynamodb).toBe(testDynamoEndpoint());
      expect(registry).toBe(testSchemaRegistryUrl());
      // Neither the AWS SDK's notice about an unsupported Node.js version nor any other process warning.
      expect(output).not.toMatch(/\(node:\d+\) \w*Warning/);

      const response = await fetch(`${httpUrl}/topics/${topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
        body: JSON.stringify({
          records: [{ key: 'k', value: { hello: 'world' }, headers: [{ name: 'message-id', value: Buffer.from('start-test-1').toString('base64') }] }],
        }),
      });
      expect(response.status).toBe(200);
      const item = await waitFor('the sink item', async () => {
        const { Item } = await testDynamo().send(new GetItemCommand({ TableName: messagesTable, Key: { messageId: { S: SINK_ID } } }));
        return Item;
      });
      expect(item.value).toEqual({ M: { hello: { S: 'world' } } });

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output).toContain('"message":"stopped"');
      expect(output).not.toMatch(/\(node:\d+\) \w*Warning/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
