/**
 * The user documentation cannot drift from itself: every relative link and anchor in README.md
 * and docs/ resolves, and tables are written compact (a padded table is as wide as its longest
 * cell on every row, which no editor shows whole).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, proseLines, relativeLinks } from '../helpers/markdown';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const read = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

describe('README.md and docs/', () => {
  it.each(PAGES)('%s: every relative link names a file that exists, and an anchor that file has', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(read(page))) {
      const target = link.file === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURI(link.file));
      if (!existsSync(target)) {
        broken.push(`line ${link.line}: ${link.file} does not exist`);
        continue;
      }
      if (link.anchor === undefined) continue;
      if (statSync(target).isDirectory() || !target.endsWith('.md')) {
        broken.push(`line ${link.line}: #${link.anchor} points into ${relative(ROOT, target)}, which has no headings`);
      } else if (!anchors(readFileSync(target, 'utf8')).has(link.anchor)) {
        broken.push(`line ${link.line}: ${relative(ROOT, target)} has no heading #${link.anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(PAGES)('%s: tables are compact, with one space around each cell', (page) => {
    const padded = proseLines(read(page))
      .filter(({ text }) => text.startsWith('|') && / {2,}\||\| {2,}|-{4,}/.test(text.replace(/`[^`]*`/g, 'code')))
      .map(({ number }) => number);
    expect(padded, 'padded table rows (write `| a | b |` and `| --- | --- |`)').toEqual([]);
  });

  it.each(PAGES)('%s: prose lines fit in 130 columns (tables and code blocks aside)', (page) => {
    const long = proseLines(read(page))
      .filter(({ text }) => !text.startsWith('|') && [...text].length > 130)
      .map(({ number, text }) => `line ${number}: ${text.slice(0, 60)}…`);
    expect(long).toEqual([]);
  });

  it('README.md stays a front page: at most 12 KB', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThanOrEqual(12 * 1024);
  });
});
