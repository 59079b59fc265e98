import { describe, expect, it } from 'vitest';
import { generateCallerKeyRing, parseCallerKeyRing } from '../../../lib/caller-mac/key-ring';
import { ConfigError } from '../../../lib/errors';
import { KEY_1, KEY_2, keyRingText } from '../../helpers/caller-keys';

describe('parseCallerKeyRing', () => {
  it('reads the current key and the one still accepted', () => {
    const ring = parseCallerKeyRing(keyRingText('k2', { k1: KEY_1, k2: KEY_2 }), 'CALLER_KEY_SECRET_ARN');
    expect(ring.current.id).toBe('k2');
    expect(ring.current.key.export().toString('base64')).toBe(KEY_2);
    expect([...ring.accepted.keys()].sort()).toEqual(['k1', 'k2']);
  });

  it.each([
    ['not JSON', 'k1=AAEC', 'the key ring is not JSON'],
    ['no keys', '{"current":"k1"}', '"keys" must be an object'],
    ['no key at all', keyRingText('k1', {}), '"keys" must hold one or 2 keys'],
    ['three keys', keyRingText('k1', { k1: KEY_1, k2: KEY_2, k3: KEY_1 }), '"keys" must hold one or 2 keys'],
    ['a current key it does not hold', keyRingText('k3', { k1: KEY_1 }), '"current" must name one of the keys'],
    ['no current key', JSON.stringify({ keys: { k1: KEY_1 } }), '"current" must name one of the keys'],
    ['a key id with a dot (it would split the header)', keyRingText('a.b', { 'a.b': KEY_1 }), 'key id "a.b" must be 1 to 32 letters'],
    ['a short key', keyRingText('k1', { k1: Buffer.alloc(31, 7).toString('base64') }), 'key "k1" must be at least 32 bytes'],
    ['a key that is not base64', keyRingText('k1', { k1: `${'!'.repeat(44)}` }), 'key "k1" must be base64 text'],
  ])('refuses %s, naming the variable and never quoting the keys', (_, text, detail) => {
    let thrown: unknown;
    try {
      parseCallerKeyRing(text, 'CALLER_KEY_SECRET_ARN');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe('CALLER_KEY_SECRET_ARN');
    expect((thrown as Error).message).toContain(detail);
    expect((thrown as Error).message).not.toContain(KEY_1);
    expect((thrown as Error).message).not.toContain(KEY_2);
  });
});

describe('generateCallerKeyRing', () => {
  it('makes one fresh 32-byte key, id local, each time', () => {
    const one = generateCallerKeyRing();
    const two = generateCallerKeyRing();
    expect(one.current.id).toBe('local');
    expect(one.current.key.export()).toHaveLength(32);
    expect(one.current.key.export().equals(two.current.key.export())).toBe(false);
  });
});
