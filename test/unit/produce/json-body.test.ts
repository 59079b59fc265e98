import { describe, expect, it } from 'vitest';
import { DUPLICATE_MEMBER, JsonSyntaxError, objectPlace, RawJson, readJson, type Place } from '../../../lib/produce/json-body';

const RAW_VALUE: Place = { object: (member) => (member === 'value' ? 'raw' : 'plain') };

/** The bytes kept for `{"value": <text>}`, as a string. */
function keptValue(text: string): string {
  const read = readJson(Buffer.from(`{"value": ${text} }`, 'utf8'), RAW_VALUE) as { value: RawJson };
  return read.value.bytes.toString('utf8');
}

describe('readJson keeps raw values as written', () => {
  it.each([
    ['a big integer', '12345678901234567890', '12345678901234567890'],
    ['a decimal with a trailing zero', '0.10', '0.10'],
    ['a huge exponent', '1e400', '1e400'],
    ['a tiny exponent', '-2.5E-400', '-2.5E-400'],
    ['negative zero', '-0', '-0'],
    ['an exponent with a plus sign', '1E+2', '1E+2'],
    ['a unicode escape', '"\\u00e9"', '"\\u00e9"'],
    ['an escaped slash and a surrogate pair', '"a\\/b \\ud83d\\ude00"', '"a\\/b \\ud83d\\ude00"'],
    ['a lone surrogate escape', '"\\ud800"', '"\\ud800"'],
    ['raw UTF-8 text', '"é😀"', '"é😀"'],
    ['whitespace inside strings', '" a \\t b "', '" a \\t b "'],
    ['insignificant whitespace, dropped', '{ "a" : [ 1 , 2 ] ,\n\t"b" : { } }', '{"a":[1,2],"b":{}}'],
    ['nesting with numbers kept', '[{"x":[0.10,[1e400]]},[]]', '[{"x":[0.10,[1e400]]},[]]'],
    ['duplicate members inside a value, both kept', '{"a":1,"a":2}', '{"a":1,"a":2}'],
    ['true', 'true', 'true'],
    ['false', 'false', 'false'],
    ['a string', '"null"', '"null"'],
  ])('%s', (_, text, kept) => {
    expect(keptValue(text)).toBe(kept);
  });

  it('reads a raw null as null (no bytes), not as a value', () => {
    expect(readJson(Buffer.from('{"value":null}'), RAW_VALUE)).toEqual({ value: null });
  });

  it('reports the nesting depth of a raw value, arrays and objects alike', () => {
    const depthOf = (text: string) => (readJson(Buffer.from(`{"value":${text}}`), RAW_VALUE) as { value: RawJson }).value.depth;
    expect(depthOf('1')).toBe(0);
    expect(depthOf('[]')).toBe(1);
    expect(depthOf('[[1],{"a":{"b":[]}}]')).toBe(4);
    expect(depthOf(`${'['.repeat(100)}${']'.repeat(100)}`)).toBe(100);
    // Far deeper than any call stack: walked with an explicit stack.
    expect(depthOf(`${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`)).toBe(200_000);
  });
});

describe('readJson builds plain places as values', () => {
  it('decodes strings, numbers and literals as JSON.parse would', () => {
    const read = readJson(Buffer.from('{"s":"a\\u00e9\\n","n":-1.5e2,"t":true,"f":false,"z":null,"i":7}'), { object: () => 'plain' });
    expect({ ...(read as object) }).toEqual({ s: 'aé\n', n: -150, t: true, f: false, z: null, i: 7 });
  });

  it('keeps containers where none is expected as RawJson, and builds expected ones', () => {
    const read = readJson(Buffer.from('{"list":[1,{"a":2}],"other":[1]}'), {
      object: (member) => (member === 'list' ? { array: { object: () => 'plain' } } : 'plain'),
    }) as { list: unknown[]; other: unknown };
    expect(read.list[0]).toBe(1);
    expect({ ...(read.list[1] as object) }).toEqual({ a: 2 });
    expect(read.other).toBeInstanceOf(RawJson);
  });

  it('marks the first repeated member name, keeping the last value as JSON.parse does', () => {
    const read = readJson(Buffer.from('{"v":1,"w":2,"v":3,"w":4}'), { object: () => 'plain' }) as Record<string | symbol, unknown>;
    expect(read[DUPLICATE_MEMBER]).toBe('v');
    expect(read.v).toBe(3);
  });

  it('keeps "__proto__" and "constructor" as plain members', () => {
    const read = readJson(Buffer.from('{"__proto__":{"polluted":1},"constructor":2}'), { object: () => 'plain' }) as Record<string, unknown>;
    expect(Object.keys(read)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads every member name right however many distinct names a body has (names are cached by their bytes)', () => {
    const names = Array.from({ length: 600 }, (_, i) => `n${i}`).concat(['é', 'ключ', 'x'.repeat(40), 'key', 'value']);
    const text = `{${names.map((name, i) => `${JSON.stringify(name)}:${i}`).join(',')}}`;
    for (let round = 0; round < 2; round += 1) {
      const read = readJson(Buffer.from(text, 'utf8'), { object: () => 'plain' }) as Record<string, number>;
      expect(Object.keys(read)).toEqual(names);
      expect(read.ключ).toBe(601);
    }
  });

  it('treats a raw and an escaped spelling of one name as the same member', () => {
    const read = readJson(Buffer.from('{"é":1,"\\u00e9":2}', 'utf8'), { object: () => 'plain' }) as Record<string | symbol, unknown>;
    expect(read[DUPLICATE_MEMBER]).toBe('é');
  });

  it('decodes escaped member names', () => {
    const read = readJson(Buffer.from('{"\\u0076alue":"x"}'), RAW_VALUE) as { value: RawJson };
    expect(read.value.bytes.toString()).toBe('"x"');
  });

  it('ignores a leading UTF-8 byte order mark and surrounding whitespace', () => {
    expect(readJson(Buffer.from('\ufeff \n[1] \r\n\t', 'utf8'), { array: 'plain' })).toEqual([1]);
  });
});

describe('readJson rejects what is not UTF-8 JSON', () => {
  it.each([
    ['empty', ''],
    ['only whitespace', '  '],
    ['truncated', '{"value":'],
    ['unterminated string', '{"value":"abc'],
    ['trailing comma in an array', '{"value":[1,]}'],
    ['trailing comma in an object', '{"value":{"a":1,}}'],
    ['missing colon', '{"value":{"a" 1}}'],
    ['unquoted member name', '{"value":{a:1}}'],
    ['single quotes', "{'value':1}"],
    ['leading zero', '{"value":01}'],
    ['leading plus', '{"value":+1}'],
    ['bare dot', '{"value":.5}'],
    ['dot without digits', '{"value":1.}'],
    ['exponent without digits', '{"value":1e}'],
    ['NaN', '{"value":NaN}'],
    ['Infinity', '{"value":Infinity}'],
    ['bad escape', '{"value":"\\x41"}'],
    ['short unicode escape', '{"value":"\\u12"}'],
    ['raw control character in a string', '{"value":"a\u0001b"}'],
    ['raw newline in a string', '{"value":"a\nb"}'],
    ['mismatched brackets', '{"value":[1}'],
    ['misspelt literal', '{"value":nul}'],
    ['data after the document', '{"value":1} x'],
    ['two documents', '{"value":1}{"value":2}'],
    ['comment', '{"value":1 /* c */}'],
    ['non-JSON whitespace (form feed)', '{"value":\f1}'],
  ])('%s', (_, text) => {
    expect(() => readJson(Buffer.from(text, 'utf8'), RAW_VALUE)).toThrow(JsonSyntaxError);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('rejects invalid UTF-8, including in a raw value', () => {
    expect(() => readJson(Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), RAW_VALUE)).toThrow(new JsonSyntaxError('not valid UTF-8', 0));
  });

  it('names the byte where reading stopped', () => {
    expect(() => readJson(Buffer.from('{"value":[1,]}'), RAW_VALUE)).toThrow('expected a JSON value at byte 12');
    expect(() => readJson(Buffer.from('{"value":[1'), RAW_VALUE)).toThrow('unexpected end of input at byte 11');
  });
});

describe('readJson checks every token, also inside a raw value and in plain places', () => {
  const PLAIN_VALUE: Place = { object: () => 'plain' };

  it.each([
    ['a misspelt null inside an array', '[nulx]'],
    ['a misspelt true inside an array', '[trux]'],
    ['a misspelt false inside an object', '{"a":fals3}'],
    ['a unicode escape with letters past F', '"\\uZZZZ"'],
    ['a unicode escape with a G in its last digit', '"\\u00eG"'],
    ['a unicode escape with a g in its first digit', '"\\ug000"'],
    ['a unicode escape with characters just outside the hex ranges', '"\\u@`/:"'],
    ['a member name without its opening quote', '{a":1}'],
    ['a member name after a comma without its opening quote', '{"a":1,b":2}'],
    ['an escape at the very end', '"\\'],
  ])('rejects %s', (_, text) => {
    expect(() => readJson(Buffer.from(`{"value":${text}}`), RAW_VALUE)).toThrow(JsonSyntaxError);
    expect(() => JSON.parse(text)).toThrow();
  });

  it.each([
    ['a misspelt null', 'nulx'],
    ['a misspelt true', 'tru'],
    ['a misspelt false', 'falsy'],
    ['a member name without its opening quote', '{a":1}'],
  ])('rejects %s where a plain value is read', (_, text) => {
    expect(() => readJson(Buffer.from(`{"other":${text}}`), PLAIN_VALUE)).toThrow(JsonSyntaxError);
  });

  it('rejects a member name without its opening quote in the envelope', () => {
    expect(() => readJson(Buffer.from('{value":1}'), RAW_VALUE)).toThrow('expected a member name at byte 1');
  });

  it.each([
    ['hex digits of both cases at the range ends', '"\\u09aF\\uA0f9"'],
    ['null nested in arrays and objects', '[null,{"a":null,"b":[null]}]'],
    ['every literal nested', '{"t":true,"f":false,"n":null}'],
  ])('keeps %s', (_, text) => {
    expect(keptValue(text)).toBe(text);
  });
});

describe('readJson names what it expected and where', () => {
  it.each([
    ['a missing comma in a raw array', '{"value":[1 2]}', 'expected "," or "]" at byte 12'],
    ['a missing comma in a raw object', '{"value":{"a":1 "b":2}}', 'expected "," or "}" at byte 16'],
    ['a missing colon in a raw object', '{"value":{"a" 1}}', 'expected ":" at byte 14'],
    ['an unquoted name in a raw object', '{"value":{1:2}}', 'expected a member name at byte 10'],
    ['a missing comma in a plain array', '{"other":[1 2]}', 'expected "," or "]" at byte 12'],
    ['a missing comma in a plain object', '{"other":{"a":1 "b":2}}', 'expected "," or "}" at byte 16'],
    ['no value in a plain place', '{"other":x}', 'expected a JSON value at byte 9'],
    ['no value in a raw place', '{"value":x}', 'expected a JSON value at byte 9'],
    ['data after the document', '{"value":1} x', 'unexpected data after the JSON value at byte 12'],
    ['a control character in a string', '{"value":"a\u0001"}', 'control character or end of input in a string at byte 11'],
    ['a bad unicode escape', '{"value":"\\u12x4"}', 'invalid \\u escape at byte 10'],
    ['a bad escape', '{"value":"\\x"}', 'invalid escape at byte 10'],
    ['a minus without digits', '{"value":-}', 'expected a digit at byte 10'],
    ['a misspelt true', '{"value":tru}', 'expected "true" at byte 12'],
    ['a misspelt null in a plain place', '{"other":nul}', 'expected "null" at byte 12'],
    ['a missing colon after a plain member name', '{"other" 1}', 'expected ":" at byte 9'],
    ['a missing comma in the envelope', '{"other":1 "x":2}', 'expected "," or "}" at byte 11'],
  ])('%s', (_, text, message) => {
    const error = (() => {
      try {
        readJson(Buffer.from(text), RAW_VALUE);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(JsonSyntaxError);
    expect((error as JsonSyntaxError).name).toBe('JsonSyntaxError');
    expect((error as JsonSyntaxError).message).toBe(message);
  });
});

describe('readJson edge cases of the reader', () => {
  it.each([
    ['its first byte differs', [0xee, 0xbb, 0xbf]],
    ['its second byte differs', [0xef, 0x80, 0xbf]],
    ['its third byte differs', [0xef, 0xbb, 0x80]],
  ])('reads a leading character that is not a byte order mark as data: %s', (_, lead) => {
    expect(() => readJson(Buffer.concat([Buffer.from(lead), Buffer.from('{"value":1}')]), RAW_VALUE)).toThrow('expected a JSON value at byte 0');
  });

  it.each(['"ull"', '"xl"', '"n"'])('keeps the raw string %s, which only looks like the start of null', (text) => {
    expect(keptValue(text)).toBe(text);
  });

  it.each([
    ['@', '"\\u@000"'],
    ['`', '"\\u`000"'],
    ['/', '"\\u/000"'],
    [':', '"\\u:000"'],
    ['G', '"\\uG000"'],
    ['g', '"\\ug000"'],
  ])('refuses %s as a hex digit of a unicode escape', (_, text) => {
    expect(() => readJson(Buffer.from(`{"value":${text}}`), RAW_VALUE)).toThrow('invalid \\u escape');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('marks "__proto__" given twice as repeated, keeping the last value', () => {
    const read = readJson(Buffer.from('{"__proto__":1,"__proto__":2}'), { object: () => 'plain' }) as Record<string | symbol, unknown>;
    expect(Object.getOwnPropertyDescriptor(read, '__proto__')).toEqual({ value: 2, enumerable: true, writable: true, configurable: true });
    expect(read[DUPLICATE_MEMBER]).toBe('__proto__');
  });

  it('names a missing comma in an expected array', () => {
    expect(() => readJson(Buffer.from('{"a":[1 2]}'), { object: () => ({ array: 'plain' }) })).toThrow('expected "," or "]" at byte 8');
  });

  it('reads whitespace after the commas of an expected array', () => {
    const place: Place = { object: () => ({ array: 'plain' }) };
    expect(readJson(Buffer.from('{"a": [1 ,\n\t2 , 3]}'), place)).toEqual({ a: [1, 2, 3] });
  });
});

describe('readJson matches the member names an object place expects', () => {
  const place = objectPlace((member) => (member === 'data' ? 'raw' : 'plain'), ['type', 'data', 'ab']);
  const read = (text: string) => readJson(Buffer.from(text, 'utf8'), place) as Record<string | symbol, unknown>;

  it('reads expected names in any order, among others, as the same members a place without them gives', () => {
    // Names of an expected name's length that differ from it, in some bytes or all ("abcd": none in common with "type" or "data").
    const text = '{"x":0, "data" : [1, 2], "a":1, "dada":4, "abcd":5, "type":"T", "abc":2, "ba":6, "ab":3}';
    const members = read(text);
    expect(Object.keys(members)).toEqual(['x', 'data', 'a', 'dada', 'abcd', 'type', 'abc', 'ba', 'ab']);
    expect(members).toMatchObject({ x: 0, a: 1, dada: 4, abcd: 5, type: 'T', abc: 2, ba: 6, ab: 3 });
    expect((members.data as RawJson).bytes.toString()).toBe('[1,2]');
    expect(members[DUPLICATE_MEMBER]).toBeUndefined();
  });

  it.each([
    ['{"type":1,"type":2}', 'type'],
    ['{"type":1,"\\u0074ype":2}', 'type'],
    ['{"\\u0074ype":1,"type":2}', 'type'],
    ['{"data":1,"x":2,"data":3}', 'data'],
  ])('marks %s as repeating %s, keeping the last value', (text, name) => {
    const members = read(text);
    expect(members[DUPLICATE_MEMBER]).toBe(name);
    expect(Object.keys(members)).toEqual([name, ...(text.includes('"x"') ? ['x'] : [])]);
  });

  it('names a missing colon after an expected name, an expected name without its opening quote, and one cut short', () => {
    expect(() => read('{"type" 1}')).toThrow('expected ":" at byte 8');
    expect(() => read('{xtype":1}')).toThrow('expected a member name at byte 1');
    expect(() => read('{"typ')).toThrow('unexpected end of input');
    expect(() => read('{"type')).toThrow('unexpected end of input');
  });
});

describe('objectPlace', () => {
  it.each([
    ['a name twice', ['a', 'a']],
    ['__proto__ after a plain name', ['a', '__proto__']],
    ['a quote', ['a"b']],
    ['a backslash', ['a\\b']],
    ['a character past ASCII', ['é']],
    ['a control character', ['a\nb']],
    ['an empty name', ['']],
    ['32 names', Array.from({ length: 32 }, (_, i) => `n${i}`)],
  ])('refuses to expect %s', (_, names) => {
    expect(() => objectPlace(() => 'plain', names)).toThrow(`cannot expect the member names ${JSON.stringify(names)}`);
  });

  it('expects 31 plain names, the space and the tilde among their characters', () => {
    const names = Array.from({ length: 30 }, (_, i) => `n ${i}~`).concat(['!#[]']);
    expect(objectPlace(() => 'plain', names).expect).toEqual(names);
  });
});
