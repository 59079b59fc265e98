import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { BINARY_V2, httpEvent, JSON_V2 } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

/** mulberry32: a tiny seeded generator, so every run sees the same bodies. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Malformed {
  body: string | Buffer;
  contentType: string;
  why: string;
}

const VALID = { records: [{ key: 'a2V5', value: 'dmFsdWU=', partition: 0, headers: [{ name: 'h', value: 'eA==' }] }, { value: 'eQ==' }] };

// Each replaces one part of a valid binary-format body with something the contract forbids.
const BAD_RECORD_FIELDS: [string, unknown][] = [
  ['partition', -1],
  ['partition', 1.5],
  ['partition', '0'],
  ['partition', true],
  ['partition', 2 ** 31],
  ['key', 12],
  ['key', '!!'],
  ['key', { a: 1 }],
  ['value', 'abc'],
  ['value', []],
  ['value', false],
  ['headers', 'h'],
  ['headers', [1]],
  ['headers', [{ name: '', value: 'eA==' }]],
  ['headers', [{ name: 'h', value: '***' }]],
  ['headers', [{ name: 'h' }]],
  ['headers', [{ name: 'h', value: 'eA==', extra: 1 }]],
  ['headers', [{ name: 7, value: 'eA==' }]],
  ['unknown', 1],
];
const BAD_TOP_LEVEL: unknown[] = [
  [],
  1,
  'records',
  null,
  true,
  {},
  { records: {} },
  { records: [] },
  { records: 'x' },
  { records: [1] },
  { records: [null] },
  { records: [[]] },
  { records: [{}] },
  { records: [{ key: 'YQ==' }] },
  { value_schema: 'x', records: [{ value: 'YQ==' }] },
  { records: [{ value: 'YQ==' }], extra: true },
  { records: Array.from({ length: 11 }, () => ({ value: 'YQ==' })) },
];
const BAD_CONTENT_TYPES = ['text/plain', 'application/xml', '', 'application/vnd.kafka.avro.v2+json', 'multipart/form-data'];

function generate(count: number, next: () => number): Malformed[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const text = JSON.stringify(VALID);
  const cases: Malformed[] = [];
  while (cases.length < count) {
    switch (Math.floor(next() * 5)) {
      case 0: {
        // Any strict prefix of an object leaves it unclosed: never JSON.
        const cut = 1 + Math.floor(next() * (text.length - 1));
        cases.push({ body: text.slice(0, cut), contentType: BINARY_V2, why: `truncated at ${cut}` });
        break;
      }
      case 1: {
        const [field, value] = pick(BAD_RECORD_FIELDS);
        const records = VALID.records.map((record) => ({ ...record })) as Record<string, unknown>[];
        (records[Math.floor(next() * records.length)] as Record<string, unknown>)[field] = value;
        cases.push({ body: JSON.stringify({ records }), contentType: BINARY_V2, why: `${field}=${JSON.stringify(value)}` });
        break;
      }
      case 2:
        cases.push({ body: JSON.stringify(pick(BAD_TOP_LEVEL)), contentType: pick([JSON_V2, BINARY_V2]), why: 'top level' });
        break;
      case 3: {
        const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 40) }, () => Math.floor(next() * 256)));
        cases.push({ body: bytes, contentType: JSON_V2, why: `random bytes ${bytes.toString('hex')}` });
        break;
      }
      default:
        cases.push({ body: text, contentType: pick(BAD_CONTENT_TYPES), why: 'content type' });
    }
  }
  return cases;
}

describe('generated malformed produce requests', () => {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', MAX_RECORDS_PER_REQUEST: '10' });

  it('always answer 4xx with exactly {error_code, message}, and never reach Kafka', async () => {
    const producer = fakeProducer({});
    const runtime = createProduceRuntime(config, { logger: silentLogger, producer, store: new MemoryIdempotencyStore({ returnExisting: true }) });
    const cases = generate(400, random(20_261_127));
    const statuses = new Set<number>();
    for (const { body, contentType, why } of cases) {
      const binary = Buffer.isBuffer(body);
      const result = await runtime.handler(
        httpEvent({
          path: '/topics/t',
          headers: { 'content-type': contentType },
          body: binary ? body.toString('base64') : body,
          isBase64Encoded: binary,
        }),
      );
      expect(result.statusCode, why).toBeGreaterThanOrEqual(400);
      expect(result.statusCode, why).toBeLessThan(500);
      const parsed = JSON.parse(result.body as string);
      expect(Object.keys(parsed).sort(), why).toEqual(['error_code', 'message']);
      expect(Number.isInteger(parsed.error_code), why).toBe(true);
      expect(typeof parsed.message, why).toBe('string');
      statuses.add(result.statusCode as number);
    }
    expect(producer.sent).toEqual([]);
    expect([...statuses].sort()).toEqual([400, 413, 415, 422]);
  });
});
