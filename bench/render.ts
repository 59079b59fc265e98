/**
 * Renders bench/RESULTS.md and bench/results.svg again from bench/results.json, without
 * measuring anything: for a change to the report's wording or the chart. Figures stay those of
 * the run that wrote results.json (rounded to six significant digits there).
 *
 *   npx tsx bench/render.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deriveFindings } from './findings';
import { writeReport, type BenchResults } from './report';

const folder = fileURLToPath(new URL('.', import.meta.url));
const { goals: _goals, ...results } = JSON.parse(readFileSync(`${folder}results.json`, 'utf8')) as BenchResults & { goals?: unknown };
results.findings = deriveFindings(results);
writeReport(folder, results);
process.stdout.write('rendered bench/RESULTS.md and bench/results.svg from bench/results.json\n');
