import { describe, expect, it } from 'vitest';
import { GARBAGE_KINDS, generateGarbageRequests, rawRequest } from '../../../chaos/lib/garbage-http';
import { createPrng } from '../../../chaos/lib/prng';

const target = { topic: 'events', partitions: 3, maxRequestBytes: 6 * 1024 * 1024, maxRecordsPerRequest: 500, clusterId: 'cluster-1', v3Topic: 'events-v3' };

describe('generateGarbageRequests', () => {
  it('generates byte-for-byte the same requests for the same seed', () => {
    const first = generateGarbageRequests(createPrng(42), target, 60, 1_000);
    const second = generateGarbageRequests(createPrng(42), target, 60, 1_000);
    expect(second.map((r) => r.bytes.toString('base64'))).toEqual(first.map((r) => r.bytes.toString('base64')));
  });

  it('generates different requests for another seed', () => {
    const first = generateGarbageRequests(createPrng(1), target, 60, 1_000);
    const second = generateGarbageRequests(createPrng(2), target, 60, 1_000);
    expect(second.map((r) => r.bytes.toString('base64'))).not.toEqual(first.map((r) => r.bytes.toString('base64')));
  });

  it('covers every family, the two huge ones included, in the first rounds', () => {
    const kinds = new Set(generateGarbageRequests(createPrng(7), target, 60, 25).map((r) => r.kind));
    expect([...kinds].sort()).toEqual([...GARBAGE_KINDS].sort());
  });

  it('makes a huge body larger than MAX_REQUEST_BYTES and allows only 413 for it', () => {
    const huge = generateGarbageRequests(createPrng(7), target, 25, 25).at(-1);
    expect(huge?.kind).toBe('huge-body');
    expect(huge?.bytes.length).toBeGreaterThan(6 * 1024 * 1024);
    expect(huge?.allowedStatuses).toEqual([413]);
  });

  it('allows only 415 for a wrong content type', () => {
    const request = generateGarbageRequests(createPrng(7), target, 60, 1_000).find((r) => r.kind === 'wrong-content-type');
    expect(request?.allowedStatuses).toEqual([415]);
  });
});

describe('rawRequest', () => {
  it('writes the request line, Host, Connection: close, a correct Content-Length and the body', () => {
    const bytes = rawRequest('POST', '/topics/t', [['Content-Type', 'application/json']], Buffer.from('{"a":1}'));
    expect(bytes.toString('latin1')).toBe(
      'POST /topics/t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}',
    );
  });

  it('keeps header bytes as given, even outside ASCII', () => {
    const bytes = rawRequest('POST', '/', [['Idempotency-Key', Buffer.from([0xc3, 0xff])]]);
    expect(
      bytes.includes(Buffer.from([0x49, 0x64, 0x65, 0x6d, 0x70, 0x6f, 0x74, 0x65, 0x6e, 0x63, 0x79, 0x2d, 0x4b, 0x65, 0x79, 0x3a, 0x20, 0xc3, 0xff])),
    ).toBe(true);
  });
});
