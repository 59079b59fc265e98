import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerHeaderStamper, stampCallerHeader, verifyCallerHeader, type MacedRecord } from '../../../lib/caller-mac/header';
import { parseCallerKeyRing } from '../../../lib/caller-mac/key-ring';
import { KEY_1, KEY_2, keyRingText, TEST_KEY_RING } from '../../helpers/caller-keys';

// printf 'anonymous' | sha256sum, and the header stamped for RECORD under k1, computed outside the code (Python hmac).
const ANONYMOUS = 'sha256:2f183a4e64493af3f377f745eda502363cd3e7ef6e4d266d444758de0a85fcc8';
const HEADER = 'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.eQUDvAoq23852TL6lnUSHEMpIa2R8omXCKmS7l0X7fc';
const VICTIM = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';

const RECORD: MacedRecord = { topic: 'events', messageId: Buffer.from('m-1'), key: Buffer.from('"k"'), value: Buffer.from('{"a":1}') };
const verify = (header: string, record: MacedRecord = RECORD, ring = TEST_KEY_RING) => verifyCallerHeader(ring, Buffer.from(header, 'utf8'), record);

describe('stampCallerHeader', () => {
  it('is v1, the key id, the digest and the HMAC, in base64url', () => {
    expect(stampCallerHeader(TEST_KEY_RING, ANONYMOUS, RECORD)).toBe(HEADER);
  });

  it('refuses a digest that is not sha256: and 64 hex digits', () => {
    expect(() => stampCallerHeader(TEST_KEY_RING, 'anonymous', RECORD)).toThrow('a caller digest is sha256: and 64 hex digits');
    expect(() => stampCallerHeader(TEST_KEY_RING, 'sha256:abc', RECORD)).toThrow('a caller digest is sha256: and 64 hex digits');
  });
});

/** The MAC as Node's own HMAC computes it over the same fields, an oracle apart from the stamper's hand-written HMAC. */
function hmacText(key: string, digestHex: string, record: MacedRecord): string {
  const field = (bytes: Buffer | null): Buffer => {
    if (bytes === null) return Buffer.from([0]);
    const length = Buffer.alloc(5);
    length[0] = 1;
    length.writeUInt32BE(bytes.length, 1);
    return Buffer.concat([length, bytes]);
  };
  const input = Buffer.concat([
    Buffer.from('x-caller-id/v1\0', 'ascii'),
    Buffer.from(digestHex, 'hex'),
    field(Buffer.from(record.topic, 'utf8')),
    field(record.messageId),
    field(record.key),
    field(record.value),
  ]);
  return createHmac('sha256', Buffer.from(key, 'base64')).update(input).digest('base64url');
}

describe('callerHeaderStamper', () => {
  const bytes = fc.option(
    fc.uint8Array({ maxLength: 3000 }).map((array) => Buffer.from(array)),
    { nil: null },
  );

  it("gives each record of a request the MAC Node's HMAC computes, whatever sizes come one after another", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ messageId: bytes, key: bytes, value: bytes }), { minLength: 1, maxLength: 12 }), (records) => {
        const stamp = callerHeaderStamper(TEST_KEY_RING, ANONYMOUS, 'events');
        for (const record of records) {
          const [version, keyId, digest, mac] = stamp(record).toString('latin1').split('.');
          expect([version, keyId, digest]).toEqual(['v1', 'k1', 'Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg']);
          expect(mac).toBe(hmacText(KEY_1, ANONYMOUS.slice('sha256:'.length), { topic: 'events', ...record }));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stamps a small record after a large one as it stamps it alone', () => {
    const stamp = callerHeaderStamper(TEST_KEY_RING, ANONYMOUS, 'events');
    const large = { messageId: Buffer.from('m-9'), key: null, value: Buffer.alloc(10_000, 0x61) };
    const first = stamp(large).toString('latin1');
    expect(stamp(RECORD).toString('latin1')).toBe(HEADER);
    expect(stamp(large).toString('latin1')).toBe(first);
    expect(verify(first, { topic: 'events', ...large })).toEqual({ verified: true, callerId: ANONYMOUS });
  });

  it('gives each record a buffer of its own', () => {
    const stamp = callerHeaderStamper(TEST_KEY_RING, ANONYMOUS, 'events');
    const first = stamp(RECORD);
    const second = stamp({ ...RECORD, messageId: Buffer.from('m-2') });
    expect(first.toString('latin1')).toBe(HEADER);
    expect(second.toString('latin1')).not.toBe(HEADER);
  });
});

describe('verifyCallerHeader', () => {
  it('proves the stamped caller, as the digest the rest of the system names it by', () => {
    expect(verify(HEADER)).toEqual({ verified: true, callerId: ANONYMOUS });
  });

  it.each<[string, Partial<MacedRecord>]>([
    ['another value', { value: Buffer.from('{"a":2}') }],
    ['another key', { key: Buffer.from('"other"') }],
    ['no key instead of an empty one', { key: null }],
    ['another message id', { messageId: Buffer.from('m-2') }],
    ['no message id', { messageId: null }],
    ['another topic', { topic: 'events-copy' }],
  ])('refuses the header copied onto a record with %s', (_, change) => {
    expect(verify(HEADER, { ...RECORD, ...change })).toEqual({ verified: false, reason: 'bad-mac' });
  });

  it("refuses a victim's digest with a MAC of another caller's (the digest is covered)", () => {
    const [, , , mac] = HEADER.split('.');
    const victimDigest = Buffer.from(VICTIM.slice('sha256:'.length), 'hex').toString('base64url');
    expect(verify(`v1.k1.${victimDigest}.${mac}`)).toEqual({ verified: false, reason: 'bad-mac' });
  });

  it.each([
    ['the old plain digest', VICTIM],
    ['a name', 'alice'],
    ['empty', ''],
    ['another version', HEADER.replace(/^v1/, 'v2')],
    ['a short MAC', HEADER.slice(0, -1)],
    ['a trailing newline', `${HEADER}\n`],
    ['a non-canonical last base64url character', HEADER.replace(/7fc$/, '7fd')],
    ['non-ASCII', HEADER.replace('k1', 'ké')],
    ['over 128 bytes', `v1.${'k'.repeat(33)}.${HEADER.split('.').slice(2).join('.')}`],
  ])('refuses %s as malformed', (_, header) => {
    expect(verify(header)).toEqual({ verified: false, reason: 'malformed' });
  });

  it('refuses a key id the ring does not hold', () => {
    expect(verify(HEADER.replace('v1.k1.', 'v1.k9.'))).toEqual({ verified: false, reason: 'unknown-key' });
  });

  it('accepts both keys during a rotation, stamps with the current one, and forgets a retired one', () => {
    const before = parseCallerKeyRing(keyRingText('k1', { k1: KEY_1 }), 'CALLER_KEY');
    const during = parseCallerKeyRing(keyRingText('k2', { k1: KEY_1, k2: KEY_2 }), 'CALLER_KEY');
    const after = parseCallerKeyRing(keyRingText('k2', { k2: KEY_2 }), 'CALLER_KEY');
    const old = stampCallerHeader(before, ANONYMOUS, RECORD);
    const fresh = stampCallerHeader(during, ANONYMOUS, RECORD);
    expect(fresh.startsWith('v1.k2.')).toBe(true);
    expect(verify(old, RECORD, during)).toEqual({ verified: true, callerId: ANONYMOUS });
    expect(verify(fresh, RECORD, during)).toEqual({ verified: true, callerId: ANONYMOUS });
    expect(verify(fresh, RECORD, after)).toEqual({ verified: true, callerId: ANONYMOUS });
    expect(verify(old, RECORD, after)).toEqual({ verified: false, reason: 'unknown-key' });
    // A container that has not read the new key yet: why the new key is added before it is made current (docs/deploy.md, Caller keys).
    expect(verify(fresh, RECORD, before)).toEqual({ verified: false, reason: 'unknown-key' });
  });

  it('refuses a header under a key id it knows but made with another key', () => {
    const impostor = parseCallerKeyRing(keyRingText('k1', { k1: KEY_2 }), 'CALLER_KEY');
    expect(verify(stampCallerHeader(impostor, ANONYMOUS, RECORD))).toEqual({ verified: false, reason: 'bad-mac' });
  });
});
