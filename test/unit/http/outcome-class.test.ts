import { describe, expect, it } from 'vitest';
import { outcomeClassOf } from '../../../lib/http/outcome-class';

describe('outcomeClassOf', () => {
  it.each([
    [200, '2xx'],
    [299, '2xx'],
    [400, '4xx'],
    [413, '4xx'],
    [499, '4xx'],
    [500, '5xx'],
    [504, '5xx'],
    [302, 'other'],
    [199, 'other'],
  ])('%i -> %s', (status, expected) => {
    expect(outcomeClassOf(status)).toBe(expected);
  });
});
