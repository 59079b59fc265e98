import { describe, expect, it } from 'vitest';
import { compileEventPattern, EventPatternError } from '../../../../local/emulator/event-pattern';

interface Case {
  pattern: Record<string, unknown>;
  event: unknown;
  matches: boolean;
}

/** One table per documented rule; each row an event and whether the pattern matches it. */
const rules: Record<string, Case[]> = {
  'equality of strings, numbers, booleans and null': [
    { pattern: { type: ['order'] }, event: { type: 'order' }, matches: true },
    { pattern: { type: ['order'] }, event: { type: 'Order' }, matches: false },
    { pattern: { type: ['order', 'refund'] }, event: { type: 'refund' }, matches: true },
    { pattern: { n: [300] }, event: { n: 300.0 }, matches: true },
    { pattern: { n: [300] }, event: { n: '300' }, matches: false },
    { pattern: { ok: [true] }, event: { ok: true }, matches: true },
    { pattern: { ok: [true] }, event: { ok: 'true' }, matches: false },
    { pattern: { gone: [null] }, event: { gone: null }, matches: true },
    { pattern: { gone: [null] }, event: {}, matches: false },
    { pattern: { empty: [''] }, event: { empty: '' }, matches: true },
    { pattern: { type: ['order'] }, event: {}, matches: false },
  ],
  'every key must match (and), nested objects': [
    { pattern: { a: ['x'], b: { c: ['y'] } }, event: { a: 'x', b: { c: 'y' } }, matches: true },
    { pattern: { a: ['x'], b: { c: ['y'] } }, event: { a: 'x', b: { c: 'z' } }, matches: false },
    { pattern: { b: { c: ['y'] } }, event: { b: 'y' }, matches: false },
  ],
  'arrays in the event: any element': [
    { pattern: { tags: ['red'] }, event: { tags: ['blue', 'red'] }, matches: true },
    { pattern: { tags: ['red'] }, event: { tags: ['blue'] }, matches: false },
    { pattern: { items: { sku: ['A1'] } }, event: { items: [{ sku: 'B2' }, { sku: 'A1' }] }, matches: true },
  ],
  prefix: [
    { pattern: { id: [{ prefix: 'AB' }] }, event: { id: 'AB1234' }, matches: true },
    { pattern: { id: [{ prefix: 'AB' }] }, event: { id: 'ab1234' }, matches: false },
    { pattern: { id: [{ prefix: 'AB' }] }, event: { id: 12 }, matches: false },
    { pattern: { id: [{ prefix: { 'equals-ignore-case': 'ab' } }] }, event: { id: 'AB1234' }, matches: true },
  ],
  suffix: [
    { pattern: { file: [{ suffix: '.png' }] }, event: { file: 'a.png' }, matches: true },
    { pattern: { file: [{ suffix: '.png' }] }, event: { file: 'a.PNG' }, matches: false },
    { pattern: { file: [{ suffix: { 'equals-ignore-case': '.png' } }] }, event: { file: 'a.PNG' }, matches: true },
  ],
  'anything-but': [
    { pattern: { state: [{ 'anything-but': 'initializing' }] }, event: { state: 'running' }, matches: true },
    { pattern: { state: [{ 'anything-but': 'initializing' }] }, event: { state: 'initializing' }, matches: false },
    { pattern: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] }, event: { state: 'stopped' }, matches: false },
    { pattern: { n: [{ 'anything-but': [100, 200] }] }, event: { n: 300 }, matches: true },
    { pattern: { n: [{ 'anything-but': [100, 200] }] }, event: { n: 200 }, matches: false },
    { pattern: { state: [{ 'anything-but': 'x' }] }, event: {}, matches: false },
    { pattern: { state: [{ 'anything-but': { prefix: 'init' } }] }, event: { state: 'initializing' }, matches: false },
    { pattern: { state: [{ 'anything-but': { prefix: 'init' } }] }, event: { state: 'running' }, matches: true },
    { pattern: { file: [{ 'anything-but': { suffix: '.txt' } }] }, event: { file: 'a.txt' }, matches: false },
    { pattern: { name: [{ 'anything-but': { 'equals-ignore-case': ['Alice', 'Bob'] } }] }, event: { name: 'BOB' }, matches: false },
    { pattern: { name: [{ 'anything-but': { 'equals-ignore-case': ['Alice', 'Bob'] } }] }, event: { name: 'Carol' }, matches: true },
    { pattern: { path: [{ 'anything-but': { wildcard: '/tmp/*' } }] }, event: { path: '/tmp/x' }, matches: false },
  ],
  numeric: [
    { pattern: { price: [{ numeric: ['>', 0, '<=', 5] }] }, event: { price: 5 }, matches: true },
    { pattern: { price: [{ numeric: ['>', 0, '<=', 5] }] }, event: { price: 0 }, matches: false },
    { pattern: { price: [{ numeric: ['>', 0, '<=', 5] }] }, event: { price: 5.01 }, matches: false },
    { pattern: { price: [{ numeric: ['=', 3.5] }] }, event: { price: 3.5 }, matches: true },
    { pattern: { price: [{ numeric: ['>=', 10] }] }, event: { price: '11' }, matches: false },
    { pattern: { price: [{ numeric: ['<', 10] }] }, event: { price: 9 }, matches: true },
  ],
  exists: [
    { pattern: { id: [{ exists: true }] }, event: { id: 'x' }, matches: true },
    { pattern: { id: [{ exists: true }] }, event: { id: null }, matches: true },
    { pattern: { id: [{ exists: true }] }, event: {}, matches: false },
    { pattern: { id: [{ exists: false }] }, event: {}, matches: true },
    { pattern: { id: [{ exists: false }] }, event: { id: 'x' }, matches: false },
    { pattern: { a: { b: [{ exists: false }] } }, event: {}, matches: true },
  ],
  'equals-ignore-case': [
    { pattern: { name: [{ 'equals-ignore-case': 'alice' }] }, event: { name: 'ALICE' }, matches: true },
    { pattern: { name: [{ 'equals-ignore-case': 'alice' }] }, event: { name: 'alicia' }, matches: false },
  ],
  wildcard: [
    { pattern: { key: [{ wildcard: 'dir/*.png' }] }, event: { key: 'dir/a/b.png' }, matches: true },
    { pattern: { key: [{ wildcard: 'dir/*.png' }] }, event: { key: 'dir/a.jpg' }, matches: false },
    { pattern: { key: [{ wildcard: 'a\\*b' }] }, event: { key: 'a*b' }, matches: true },
    { pattern: { key: [{ wildcard: 'a\\*b' }] }, event: { key: 'axxb' }, matches: false },
    { pattern: { key: [{ wildcard: 'a.c' }] }, event: { key: 'abc' }, matches: false },
  ],
  $or: [
    { pattern: { $or: [{ a: ['1'] }, { b: ['2'] }] }, event: { b: '2' }, matches: true },
    { pattern: { $or: [{ a: ['1'] }, { b: ['2'] }] }, event: { a: '2', b: '1' }, matches: false },
    { pattern: { kind: ['x'], $or: [{ a: ['1'] }, { b: ['2'] }] }, event: { kind: 'y', a: '1' }, matches: false },
  ],
};

describe('compileEventPattern', () => {
  for (const [rule, cases] of Object.entries(rules)) {
    describe(rule, () => {
      it.each(cases.map((c) => [JSON.stringify(c.pattern), JSON.stringify(c.event), c.matches, c] as const))('%s against %s: %s', (_p, _e, _m, c) => {
        expect(compileEventPattern(c.pattern)(c.event)).toBe(c.matches);
      });
    });
  }

  it.each([
    ['not an object', [], /pattern: a pattern is a JSON object/],
    ['a leaf that is neither array nor object', { a: 'x' }, /a: a pattern's values are arrays/],
    ['an empty array', { a: [] }, /a: an array of conditions may not be empty/],
    ['an unknown operator', { a: [{ 'begins-with': 'x' }] }, /a\[0\]: unknown operator "begins-with"/],
    ['two operators in one object', { a: [{ prefix: 'x', suffix: 'y' }] }, /exactly one operator/],
    ['a bad numeric operator', { a: [{ numeric: ['!=', 1] }] }, /"numeric" operator must be one of/],
    ['a numeric bound that is text', { a: [{ numeric: ['>', '1'] }] }, /"numeric" bound must be a number/],
    ['exists with a string', { a: [{ exists: 'yes' }] }, /"exists" takes true or false/],
    ['$or with one pattern', { $or: [{ a: ['1'] }] }, /\$or: "\$or" takes an array of at least two/],
    ['consecutive wildcards', { a: [{ wildcard: 'a**' }] }, /consecutive/],
    ['nested path named', { a: { b: [{ prefix: 1 }] } }, /a\.b\[0\]: "prefix" takes a string/],
  ])('refuses %s, naming where', (_name, pattern, message) => {
    expect(() => compileEventPattern(pattern)).toThrow(EventPatternError);
    expect(() => compileEventPattern(pattern)).toThrow(message);
  });
});
