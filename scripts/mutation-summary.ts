/**
 * What `npm run mutation` writes to test/MUTATION.md, and what `npm test` reads back from it:
 * the score per folder of `lib/`, the surviving mutants, and a digest of every mutated file so
 * that a test can tell how far the code has moved since the score was measured.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** The part of Stryker's JSON report (mutation-testing-report-schema) read here. */
export interface MutationReport {
  files: Record<string, { source: string; mutants: readonly ReportMutant[] }>;
}

/** One mutant of the report. */
export interface ReportMutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: { line: number; column: number } };
}

/** Mutant counts of a folder, by Stryker status. */
export interface FolderScore {
  folder: string;
  killed: number;
  timedOut: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  /** Killed and timed out, out of those plus survived and not covered; undefined without such mutants. */
  scorePercent: number | undefined;
}

/** The folders that must keep at least {@link CORE_GOAL_PERCENT}; `npm test` watches their digests. */
export const CORE_FOLDERS = ['lib/consume/', 'lib/produce/', 'lib/idempotency/'] as const;
export const CORE_GOAL_PERCENT = 90;
export const OVERALL_GOAL_PERCENT = 85;

/**
 * How many files of {@link CORE_FOLDERS} may differ from the mutated ones (changed, added or
 * removed) before `npm test` asks for a new run: small fixes land without the ten-minute run,
 * and the score can never be more than a few files behind the code.
 */
export const MAX_STALE_CORE_FILES = 3;

export const SUMMARY_PATH = 'test/MUTATION.md';
const DIGESTS_START = '<!-- source digests: written by npm run mutation, read by test/mutation/freshness.test.ts -->';

/** `lib/consume/lease.ts` -> `lib/consume/`; the files directly in `lib/` count as `lib/*.ts`. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts.slice(0, 2).join('/')}/` : `${parts[0]}/*.ts`;
}

function emptyScore(folder: string): FolderScore {
  return { folder, killed: 0, timedOut: 0, survived: 0, noCoverage: 0, ignored: 0, scorePercent: undefined };
}

function count(score: FolderScore, status: string): void {
  if (status === 'Killed') score.killed += 1;
  else if (status === 'Timeout') score.timedOut += 1;
  else if (status === 'Survived') score.survived += 1;
  else if (status === 'NoCoverage') score.noCoverage += 1;
  else if (status === 'Ignored') score.ignored += 1;
  // CompileError and RuntimeError mutants are invalid programs, counted by neither side.
}

function withPercent(score: FolderScore): FolderScore {
  const detected = score.killed + score.timedOut;
  const valid = detected + score.survived + score.noCoverage;
  return { ...score, scorePercent: valid === 0 ? undefined : (100 * detected) / valid };
}

/** Scores per folder (sorted by name) and over all files, as Stryker computes its mutation score. */
export function scores(report: MutationReport): { folders: FolderScore[]; total: FolderScore } {
  const byFolder = new Map<string, FolderScore>();
  const total = emptyScore('lib/ (all)');
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const folder = folderOf(file);
    let score = byFolder.get(folder);
    if (score === undefined) byFolder.set(folder, (score = emptyScore(folder)));
    for (const { status } of mutants) {
      count(score, status);
      count(total, status);
    }
  }
  const folders = [...byFolder.values()].sort((a, b) => a.folder.localeCompare(b.folder)).map(withPercent);
  return { folders, total: withPercent(total) };
}

/** The first 16 hex digits of the SHA-256 of `content`. */
export function digestOf(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

function percent(score: FolderScore): string {
  return score.scorePercent === undefined ? 'n/a' : `${score.scorePercent.toFixed(1)}%`;
}

function row(score: FolderScore, label = `\`${score.folder}\``): string {
  return `| ${label} | ${percent(score)} | ${score.killed} | ${score.timedOut} | ${score.survived} | ${score.noCoverage} | ${score.ignored} |`;
}

/** Where a run was made: a date (YYYY-MM-DD) and a commit, noting uncommitted changes. */
export interface RunInfo {
  date: string;
  commit: string;
  strykerVersion: string;
}

/**
 * The digest of every TypeScript file under `folders` (paths ending in `/`), by path: what
 * test/MUTATION.md records of the code it measured, and what the freshness test compares
 * with. Files without mutants (types only) count too, so that adding code to one is seen.
 */
export function sourceDigests(folders: readonly string[]): Map<string, string> {
  const digests = new Map<string, string>();
  for (const folder of folders) {
    for (const entry of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue;
      const file = `${folder}${entry.split('\\').join('/')}`;
      digests.set(file, digestOf(readFileSync(file, 'utf8')));
    }
  }
  return digests;
}

/** The Markdown of test/MUTATION.md for `report`, recording `digests` of the sources it measured. */
export function renderSummary(report: MutationReport, run: RunInfo, digests: ReadonlyMap<string, string>): string {
  const { folders, total } = scores(report);
  const survivors = Object.entries(report.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .filter(([file]) => CORE_FOLDERS.some((folder) => file.startsWith(folder)))
    .flatMap(([file, { mutants }]) =>
      mutants
        .filter(({ status }) => status === 'Survived' || status === 'NoCoverage')
        .sort((a, b) => a.location.start.line - b.location.start.line)
        .map((m) => `| \`${file}:${m.location.start.line}\` | ${m.mutatorName} | ${m.status === 'NoCoverage' ? 'no coverage' : 'survived'} |`),
    );
  return [
    '# Mutation testing',
    '',
    `Written by \`npm run mutation\` on ${run.date} at commit ${run.commit} (Stryker ${run.strykerVersion}, vitest runner, the unit tests of \`vitest.mutation.config.ts\`). The HTML report of the run is \`reports/mutation/index.html\`.`,
    '',
    'Stryker changes the code of `lib/` one small way at a time (a mutant: a condition inverted, a `<` made `<=`, a call removed) and reruns the unit tests that cover it. The score is the share of mutants the tests detect (killed, or timed out) among those they should (plus survived and not covered by any test). Log lines and metric names are not mutated (`scripts/mutation-ignorers.mjs`); mutants that cannot change behaviour carry a `Stryker disable` comment with the reason and count as ignored.',
    '',
    `Goal: at least ${CORE_GOAL_PERCENT}% in each of ${CORE_FOLDERS.map((f) => `\`${f}\``).join(', ')} and ${OVERALL_GOAL_PERCENT}% over \`lib/\`.`,
    '',
    '| folder | score | killed | timed out | survived | no coverage | ignored |',
    '| ------ | ----- | ------ | --------- | -------- | ----------- | ------- |',
    ...folders.map((score) => row(score)),
    row(total, '**`lib/` (all)**'),
    '',
    '## Mutants left',
    '',
    `In ${CORE_FOLDERS.map((f) => `\`${f}\``).join(', ')} (the other folders' are counted above and listed in the HTML report):`,
    '',
    survivors.length === 0 ? 'None.' : ['| where | mutator | status |', '| ----- | ------- | ------ |', ...survivors].join('\n'),
    '',
    '## Freshness',
    '',
    `\`npm test\` (\`test/mutation/freshness.test.ts\`) compares the digests below with the files of ${CORE_FOLDERS.map((f) => `\`${f}\``).join(', ')} and fails when more than ${MAX_STALE_CORE_FILES} of them differ (changed, added or removed): then run \`npm run mutation\` and commit this file with \`test/mutation/incremental.json\`.`,
    '',
    DIGESTS_START,
    '',
    '```',
    ...[...digests].sort(([a], [b]) => a.localeCompare(b)).map(([file, digest]) => `${digest}  ${file}`),
    '```',
    '',
  ].join('\n');
}

/** The digests test/MUTATION.md recorded, by file. */
export function recordedDigests(markdown: string): Map<string, string> {
  const digests = new Map<string, string>();
  const start = markdown.indexOf(DIGESTS_START);
  if (start === -1) return digests;
  for (const line of markdown.slice(start).split('\n')) {
    const match = /^([0-9a-f]{16}) {2}(\S+)$/.exec(line);
    if (match) digests.set(match[2] as string, match[1] as string);
  }
  return digests;
}

/** The files whose digest differs between `recorded` and `current` (changed, added or removed), sorted. */
export function staleFiles(recorded: ReadonlyMap<string, string>, current: ReadonlyMap<string, string>): string[] {
  const files = new Set([...recorded.keys(), ...current.keys()]);
  return [...files].filter((file) => recorded.get(file) !== current.get(file)).sort();
}

/** Where Stryker keeps its incremental results, committed so that the next run retests only what changed. */
export const INCREMENTAL_PATH = 'test/mutation/incremental.json';

/**
 * The incremental file's text without the paths of the machine that ran it: Stryker records the
 * project root and, in the reasons of some results, the absolute paths of its sandboxes. Each
 * becomes `.` (the project), so that the committed file says nothing of where it was made.
 */
export function withoutMachinePaths(text: string, projectRoot: string): string {
  const root = JSON.stringify(projectRoot).slice(1, -1);
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Any run's sandbox, wherever that run's project was; then this root (only the whole root: a
  // sibling such as `<root>2` is another place).
  return text.replace(/(?:\/[^\s"'\\/:]+)+\/\.stryker-tmp\/sandbox-[A-Za-z0-9]+/g, '.').replace(new RegExp(`${escaped}(?![\\w.-])`, 'g'), '.');
}
