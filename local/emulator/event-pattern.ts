/**
 * EventBridge event pattern matching, the syntax of Lambda's event filtering
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 * No maintained JavaScript implementation of it is published, so the emulator has its own,
 * covering the rules Lambda documents for filters: equality (strings, numbers, null, booleans),
 * `prefix`, `suffix`, `equals-ignore-case` (also inside `prefix` and `suffix`), `anything-but`
 * (values, or a `prefix`, `suffix`, `equals-ignore-case` or `wildcard` inside it), `numeric`,
 * `exists`, `wildcard` and `$or`.
 *
 * A pattern is an object: every key must match (AND). A key's value is either a nested pattern
 * (for a nested object of the event) or an array of conditions, any of which may match (OR).
 * When the event's field is an array, the conditions match if they match any of its elements.
 */

/** A compiled pattern: true when `event` matches it. */
export type EventMatcher = (event: unknown) => boolean;

/** Raised for a pattern that is not valid EventBridge syntax; the message names where. */
export class EventPatternError extends Error {}

type ValueMatcher = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(path: string, message: string): never {
  throw new EventPatternError(`${path === '' ? 'pattern' : path}: ${message}`);
}

/** The one operand of `{ operator: operand }`, checked to be alone in its object. */
function soleOperand(condition: Record<string, unknown>, path: string): [string, unknown] {
  const entries = Object.entries(condition);
  if (entries.length !== 1) fail(path, `a condition object holds exactly one operator, got ${entries.length}`);
  return entries[0] as [string, unknown];
}

function stringOperand(operand: unknown, path: string, operator: string): string {
  if (typeof operand !== 'string') fail(path, `"${operator}" takes a string, got ${JSON.stringify(operand)}`);
  return operand;
}

/** `a*b`: `*` stands for any run of characters, `\*` and `\\` for themselves. */
function wildcardRegExp(operand: string, path: string): RegExp {
  if (operand.includes('**')) fail(path, '"wildcard" may not hold consecutive "*"');
  let source = '';
  for (let i = 0; i < operand.length; i += 1) {
    const char = operand[i] as string;
    if (char === '\\' && (operand[i + 1] === '*' || operand[i + 1] === '\\')) {
      source += `\\${operand[i + 1]}`;
      i += 1;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** `prefix`/`suffix` take a string or `{ "equals-ignore-case": string }`. */
function affixMatcher(operator: 'prefix' | 'suffix', operand: unknown, path: string): ValueMatcher {
  const ignoreCase = isObject(operand);
  const text = ignoreCase ? stringOperand(operand['equals-ignore-case'], path, `${operator}.equals-ignore-case`) : stringOperand(operand, path, operator);
  if (ignoreCase && Object.keys(operand).length !== 1) fail(path, `"${operator}" takes a string or {"equals-ignore-case": string}`);
  const wanted = ignoreCase ? text.toLowerCase() : text;
  return (value) => {
    if (typeof value !== 'string') return false;
    const seen = ignoreCase ? value.toLowerCase() : value;
    return operator === 'prefix' ? seen.startsWith(wanted) : seen.endsWith(wanted);
  };
}

const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='] as const;
type NumericOperator = (typeof NUMERIC_OPERATORS)[number];

function compare(value: number, operator: NumericOperator, bound: number): boolean {
  switch (operator) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
}

/** `numeric`: one comparison, or a range of a lower and an upper one: `[">", 0, "<=", 5]`. */
function numericMatcher(operand: unknown, path: string): ValueMatcher {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    fail(path, '"numeric" takes [operator, number] or [operator, number, operator, number]');
  }
  const comparisons: [NumericOperator, number][] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const operator = operand[i];
    const bound = operand[i + 1];
    if (!NUMERIC_OPERATORS.includes(operator)) fail(path, `"numeric" operator must be one of ${NUMERIC_OPERATORS.join(' ')}, got ${JSON.stringify(operator)}`);
    if (typeof bound !== 'number' || !Number.isFinite(bound)) fail(path, `"numeric" bound must be a number, got ${JSON.stringify(bound)}`);
    comparisons.push([operator as NumericOperator, bound]);
  }
  return (value) => typeof value === 'number' && comparisons.every(([operator, bound]) => compare(value, operator, bound));
}

/** A literal condition: a string, number, boolean or null that the value must equal. */
function literalMatcher(literal: unknown, path: string): ValueMatcher {
  if (literal === null) return (value) => value === null;
  if (typeof literal === 'string' || typeof literal === 'boolean') return (value) => value === literal;
  // Numbers compare by value: 300 matches 300.0 (both parse to the same number).
  if (typeof literal === 'number') return (value) => typeof value === 'number' && value === literal;
  return fail(path, `a condition is a string, number, boolean, null or an operator object, got ${JSON.stringify(literal)}`);
}

/** `anything-but`: values (one or a list), or a `prefix`, `suffix`, `equals-ignore-case` or `wildcard`. */
function anythingButMatcher(operand: unknown, path: string): ValueMatcher {
  let excluded: ValueMatcher;
  if (isObject(operand)) {
    const [operator, inner] = soleOperand(operand, `${path}.anything-but`);
    const options = Array.isArray(inner) ? inner : [inner];
    if (options.length === 0) fail(path, `"anything-but.${operator}" needs at least one value`);
    let matchers: ValueMatcher[];
    if (operator === 'prefix' || operator === 'suffix') matchers = options.map((option) => affixMatcher(operator, stringOperand(option, path, operator), path));
    else if (operator === 'equals-ignore-case') {
      const wanted = options.map((option) => stringOperand(option, path, operator).toLowerCase());
      matchers = [(value) => typeof value === 'string' && wanted.includes(value.toLowerCase())];
    } else if (operator === 'wildcard') {
      matchers = options.map((option) => {
        const pattern = wildcardRegExp(stringOperand(option, path, operator), path);
        return (value: unknown) => typeof value === 'string' && pattern.test(value);
      });
    } else return fail(path, `"anything-but" takes values or one of prefix, suffix, equals-ignore-case, wildcard; got "${operator}"`);
    excluded = (value) => matchers.some((matcher) => matcher(value));
  } else {
    const values = Array.isArray(operand) ? operand : [operand];
    if (values.length === 0) fail(path, '"anything-but" needs at least one value');
    const matchers = values.map((value) => {
      if (typeof value !== 'string' && typeof value !== 'number') fail(path, `"anything-but" values are strings or numbers, got ${JSON.stringify(value)}`);
      return literalMatcher(value, path);
    });
    excluded = (value) => matchers.some((matcher) => matcher(value));
  }
  // A missing field is not "anything but" a value: it matches nothing but `exists: false`.
  return (value) => value !== undefined && !excluded(value);
}

/** One condition of a leaf's array; `undefined` as the value means the field is missing. */
function conditionMatcher(condition: unknown, path: string): { matches: ValueMatcher; onMissing: boolean } {
  if (!isObject(condition)) {
    const matches = literalMatcher(condition, path);
    return { matches, onMissing: false };
  }
  const [operator, operand] = soleOperand(condition, path);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return { matches: affixMatcher(operator, operand, path), onMissing: false };
    case 'equals-ignore-case': {
      const wanted = stringOperand(operand, path, operator).toLowerCase();
      return { matches: (value) => typeof value === 'string' && value.toLowerCase() === wanted, onMissing: false };
    }
    case 'wildcard': {
      const pattern = wildcardRegExp(stringOperand(operand, path, operator), path);
      return { matches: (value) => typeof value === 'string' && pattern.test(value), onMissing: false };
    }
    case 'numeric':
      return { matches: numericMatcher(operand, path), onMissing: false };
    case 'anything-but':
      return { matches: anythingButMatcher(operand, path), onMissing: false };
    case 'exists':
      if (typeof operand !== 'boolean') fail(path, `"exists" takes true or false, got ${JSON.stringify(operand)}`);
      // exists: true matches any present value; exists: false only a missing field.
      return { matches: () => operand, onMissing: !operand };
    default:
      return fail(path, `unknown operator "${operator}"`);
  }
}

/** A leaf: an array of conditions, any of which may match the field (or any of its elements). */
function leafMatcher(conditions: unknown[], path: string): ValueMatcher {
  if (conditions.length === 0) fail(path, 'an array of conditions may not be empty');
  const compiled = conditions.map((condition, index) => conditionMatcher(condition, `${path}[${index}]`));
  return (value) => {
    if (value === undefined) return compiled.some((condition) => condition.onMissing);
    const candidates = Array.isArray(value) ? value : [value];
    return compiled.some((condition) => !condition.onMissing && candidates.some((candidate) => condition.matches(candidate)));
  };
}

/** An object pattern: every key must match its field of the event. */
function objectMatcher(pattern: Record<string, unknown>, path: string): ValueMatcher {
  const parts: ValueMatcher[] = [];
  for (const [key, sub] of Object.entries(pattern)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isObject)) fail(where, '"$or" takes an array of at least two patterns');
      const alternatives = sub.map((alternative, index) => objectMatcher(alternative as Record<string, unknown>, `${where}[${index}]`));
      parts.push((value) => alternatives.some((alternative) => alternative(value)));
    } else if (Array.isArray(sub)) {
      const leaf = leafMatcher(sub, where);
      parts.push((value) => leaf(isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined));
    } else if (isObject(sub)) {
      const nested = objectMatcher(sub, where);
      parts.push((value) => {
        const child = isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
        // An array of objects matches when one of its objects does.
        return Array.isArray(child) ? child.some((element) => nested(element)) : nested(child);
      });
    } else fail(where, `a pattern's values are arrays of conditions or nested patterns, got ${JSON.stringify(sub)}`);
  }
  return (value) => parts.every((part) => part(value));
}

/**
 * Compiles an EventBridge pattern into a matcher.
 *
 * @throws {EventPatternError} naming the path of the first invalid part.
 */
export function compileEventPattern(pattern: unknown): EventMatcher {
  if (!isObject(pattern)) fail('', `a pattern is a JSON object, got ${JSON.stringify(pattern)}`);
  return objectMatcher(pattern, '');
}
