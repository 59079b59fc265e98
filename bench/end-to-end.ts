/**
 * End to end through the local pipeline: messages POSTed to its HTTP server until every one
 * is an item in the messages table, written by the consume function that the local event
 * source emulator feeds.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EndToEndFigure } from './report';
import { countsBetween, totalRequests } from './dynamo-counter';
import { localSinkId, makeRecords, produceRequestBody, type BenchRecord } from './records';
import { median } from './stats';

const RECORDS_PER_REQUEST = 100;
const CONCURRENT_REQUESTS = 4;
const POLL_INTERVAL_MS = 50;

async function post(baseUrl: string, topic: string, records: readonly BenchRecord[]): Promise<void> {
  const response = await fetch(`${baseUrl}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: produceRequestBody(records),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`the local pipeline answered ${response.status}: ${text}`);
}

/** Ids among `ids` (at most 100) that are items of `table`; counts its own requests in `polls`. */
async function present(client: DynamoDBClient, table: string, ids: readonly string[], polls: { count: number }): Promise<Set<string>> {
  const found = new Set<string>();
  const idOfSinkId = new Map(ids.map((id) => [localSinkId(id), id]));
  let keys = [...idOfSinkId.keys()].map((sinkId) => ({ messageId: { S: sinkId } }));
  while (keys.length > 0) {
    polls.count++;
    const response = await client.send(
      new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ProjectionExpression: 'messageId', ConsistentRead: true } } }),
    );
    for (const item of response.Responses?.[table] ?? []) {
      const id = idOfSinkId.get(item.messageId?.S ?? '');
      if (id !== undefined) found.add(id);
    }
    keys = (response.UnprocessedKeys?.[table]?.Keys ?? []) as typeof keys;
  }
  return found;
}

/**
 * Waits until every id is in `table`. Ids are confirmed in the order they were sent, a
 * hundred at a time, so polling costs one read per hundred messages plus one per wait.
 *
 * @throws Error when no new id shows up for `stallTimeoutMs`.
 */
async function waitForAll(client: DynamoDBClient, table: string, ids: readonly string[], stallTimeoutMs: number, polls = { count: 0 }): Promise<void> {
  let confirmed = 0;
  let lastProgress = Date.now();
  while (confirmed < ids.length) {
    const chunk = ids.slice(confirmed, confirmed + 100);
    const found = await present(client, table, chunk, polls);
    const prefix = chunk.findIndex((id) => !found.has(id));
    const advanced = prefix === -1 ? chunk.length : prefix;
    if (advanced > 0) {
      confirmed += advanced;
      lastProgress = Date.now();
      continue;
    }
    if (Date.now() - lastProgress > stallTimeoutMs) {
      throw new Error(`end to end: ${confirmed} of ${ids.length} messages arrived, then none for ${stallTimeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Measures `rounds` runs of `messages` messages each through the pipeline at `baseUrl`. */
export async function measureEndToEnd(
  baseUrl: string,
  topic: string,
  client: DynamoDBClient,
  messagesTable: string,
  messages: number,
  rounds: number,
  snapshot: () => Promise<Record<string, number>>,
): Promise<EndToEndFigure> {
  // Warm-up: connections, the topic's metadata and the emulator's first poll.
  const warmup = makeRecords(10, 'e2e-warmup');
  await post(baseUrl, topic, warmup);
  await waitForAll(
    client,
    messagesTable,
    warmup.map((record) => record.messageId),
    60_000,
  );
  const elapsed: number[] = [];
  const requestsPerMessage: number[] = [];
  let requestsByOperation: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    const requests = Array.from({ length: Math.ceil(messages / RECORDS_PER_REQUEST) }, (_, index) =>
      makeRecords(RECORDS_PER_REQUEST, `e2e-r${round}-${index}`),
    );
    const before = await snapshot();
    const polls = { count: 0 };
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, async () => {
        while (next < requests.length) await post(baseUrl, topic, requests[next++] as BenchRecord[]);
      }),
    );
    await waitForAll(
      client,
      messagesTable,
      requests.flat().map((record) => record.messageId),
      30_000,
      polls,
    );
    elapsed.push(performance.now() - started);
    const counted = countsBetween(before, await snapshot());
    // This measurement's own reads are not the pipeline's work.
    if (counted.BatchGetItem !== undefined) counted.BatchGetItem -= polls.count;
    if (round === 0) requestsByOperation = Object.fromEntries(Object.entries(counted).filter(([, count]) => count > 0));
    requestsPerMessage.push(totalRequests(counted) / (requests.length * RECORDS_PER_REQUEST));
  }
  const elapsedMs = median(elapsed);
  return {
    messages: Math.ceil(messages / RECORDS_PER_REQUEST) * RECORDS_PER_REQUEST,
    recordsPerRequest: RECORDS_PER_REQUEST,
    concurrentRequests: CONCURRENT_REQUESTS,
    rounds,
    messagesPerSec: (Math.ceil(messages / RECORDS_PER_REQUEST) * RECORDS_PER_REQUEST) / (elapsedMs / 1000),
    elapsedMs,
    dynamoRequestsPerMessage: median(requestsPerMessage),
    requestsByOperation,
  };
}
