import { describe, expect, it } from 'vitest';
import { isTopicName } from '../../lib/topic-name';

describe('isTopicName', () => {
  it.each([
    ['orders', true],
    ['a', true],
    ['Orders.v2_dead-letter', true],
    ['x'.repeat(249), true],
    ['...', true],
    ['', false],
    ['x'.repeat(250), false],
    ['.', false],
    ['..', false],
    ['orders/eu', false],
    ['orders eu', false],
    ['commandes-é', false],
    [42, false],
    [undefined, false],
  ])('%j is legal: %s', (name, legal) => {
    expect(isTopicName(name)).toBe(legal);
  });
});
