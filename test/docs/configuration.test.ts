/**
 * docs/configuration.md lists exactly the environment variables lib/config.ts reads, so that the
 * reference cannot drift from the code: a variable added to the code without a line there, or a
 * line left after its variable went, fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proseLines } from '../helpers/markdown';

const ROOT = resolve(import.meta.dirname, '../..');

/** Names lib/config.ts reads: the second argument of its readers, `text(env, 'NAME')` and the like. */
function variablesRead(source: string): Set<string> {
  return new Set([...source.matchAll(/\b\w+\(\s*env,\s*'([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1] as string));
}

/** Names in the first column of the page's tables (a cell may name several: `A` / `B`). */
function variablesDocumented(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const firstCell = /^\|([^|]*)\|/.exec(text)?.[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1] as string);
  }
  return names;
}

describe('docs/configuration.md', () => {
  const read = variablesRead(readFileSync(resolve(ROOT, 'lib/config.ts'), 'utf8'));
  const documented = variablesDocumented(readFileSync(resolve(ROOT, 'docs/configuration.md'), 'utf8'));

  it('finds the variables on both sides (the patterns still match the code and the page)', () => {
    expect(read.has('KAFKA_BROKERS')).toBe(true);
    expect(documented.has('KAFKA_BROKERS')).toBe(true);
  });

  it('documents every variable lib/config.ts reads', () => {
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });

  it('documents no variable lib/config.ts does not read', () => {
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
