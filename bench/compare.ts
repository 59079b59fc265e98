/**
 * `npm run bench:compare -- first.json [second.json]`: the goal figures of two runs' results.json
 * side by side with their difference, flagging any over 0.05. The second file defaults to
 * bench/results.json. Exits with 1 when a figure is flagged.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goalFigures, type BenchResults } from './report';
import { compareGoalFigures, formatDifferences } from './stability';

const [first, second = fileURLToPath(new URL('results.json', import.meta.url))] = process.argv.slice(2);
if (first === undefined) {
  process.stderr.write('usage: npm run bench:compare -- first.json [second.json]\n');
  process.exit(2);
}
const read = (file: string): BenchResults => JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const differences = compareGoalFigures(goalFigures(read(first)), goalFigures(read(second)));
process.stdout.write(`${first} -> ${second}\n${formatDifferences(differences).join('\n')}\n`);
if (differences.some((entry) => entry.flagged)) process.exitCode = 1;
