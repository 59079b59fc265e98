/**
 * `npm run mutation [-- stryker options]`: Stryker over `lib/` (stryker.config.mjs), incremental,
 * then test/MUTATION.md from its report. A run narrowed with `--mutate` prints the scores but
 * leaves test/MUTATION.md alone, which always describes a run over the whole of `lib/`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { INCREMENTAL_PATH, renderSummary, scores, sourceDigests, SUMMARY_PATH, withoutMachinePaths, type MutationReport } from './mutation-summary';

const REPORT_PATH = 'reports/mutation/mutation.json';

const args = process.argv.slice(2);
const require = createRequire(import.meta.url);
const strykerBin = join(dirname(require.resolve('@stryker-mutator/core/package.json')), 'bin', 'stryker.js');
const stryker = spawnSync(process.execPath, [strykerBin, 'run', ...args], { stdio: 'inherit' });
if (stryker.status !== 0) process.exit(stryker.status ?? 1);
writeFileSync(INCREMENTAL_PATH, withoutMachinePaths(readFileSync(INCREMENTAL_PATH, 'utf8'), process.cwd()));

const report = JSON.parse(readFileSync(REPORT_PATH, 'utf8')) as MutationReport;
const { folders, total } = scores(report);
for (const score of [...folders, total]) {
  process.stdout.write(
    `${score.folder.padEnd(20)} ${score.scorePercent?.toFixed(1).padStart(5) ?? '  n/a'}%  (${score.killed + score.timedOut} of ${score.killed + score.timedOut + score.survived + score.noCoverage})\n`,
  );
}

const narrowed = args.some((arg) => arg === '-m' || arg.startsWith('--mutate'));
if (narrowed) {
  process.stdout.write(`--mutate narrowed the run: ${SUMMARY_PATH} is left as it is.\n`);
} else {
  const git = (...gitArgs: string[]): string => execFileSync('git', gitArgs, { encoding: 'utf8' }).trim();
  // The files this run writes do not count as changes.
  const dirty = git('status', '--porcelain', '--', 'lib', 'test', `:!${SUMMARY_PATH}`, `:!${INCREMENTAL_PATH}`) !== '';
  const commit = `${git('rev-parse', '--short=12', 'HEAD')}${dirty ? ' with uncommitted changes to lib/ or test/' : ''}`;
  const { version } = require('@stryker-mutator/core/package.json') as { version: string };
  writeFileSync(SUMMARY_PATH, renderSummary(report, { date: new Date().toISOString().slice(0, 10), commit, strykerVersion: version }, sourceDigests(['lib/'])));
  process.stdout.write(`wrote ${SUMMARY_PATH}\n`);
}
