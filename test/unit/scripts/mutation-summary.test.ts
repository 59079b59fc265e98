import { describe, expect, it } from 'vitest';
import {
  withoutMachinePaths,
  digestOf,
  folderOf,
  recordedDigests,
  renderSummary,
  scores,
  staleFiles,
  type MutationReport,
  type ReportMutant,
} from '../../../scripts/mutation-summary';

const mutant = (status: string, line = 1): ReportMutant => ({ mutatorName: 'ConditionalExpression', status, location: { start: { line, column: 1 } } });

const report: MutationReport = {
  files: {
    'lib/consume/lease.ts': { source: 'a', mutants: [mutant('Killed'), mutant('Killed'), mutant('Timeout'), mutant('Survived', 7)] },
    'lib/consume/batch.ts': { source: 'b', mutants: [mutant('Killed'), mutant('Ignored'), mutant('CompileError')] },
    'lib/config.ts': { source: 'c', mutants: [mutant('NoCoverage', 3), mutant('Killed')] },
  },
};

describe('mutation summary', () => {
  it('files directly in lib/ form lib/*.ts, the others their first folder below it', () => {
    expect(folderOf('lib/config.ts')).toBe('lib/*.ts');
    expect(folderOf('lib/consume/lease.ts')).toBe('lib/consume/');
    expect(folderOf('lib/consume/deeper/file.ts')).toBe('lib/consume/');
  });

  it('scores a folder as killed and timed out over those plus survived and not covered, leaving out ignored and invalid mutants', () => {
    const { folders, total } = scores(report);
    expect(folders.map(({ folder, scorePercent }) => [folder, scorePercent])).toEqual([
      ['lib/*.ts', 50],
      ['lib/consume/', 80],
    ]);
    expect(total).toEqual({ folder: 'lib/ (all)', killed: 4, timedOut: 1, survived: 1, noCoverage: 1, ignored: 1, scorePercent: (100 * 5) / 7 });
  });

  it('a folder without countable mutants has no score', () => {
    expect(scores({ files: { 'lib/clock.ts': { source: '', mutants: [mutant('Ignored')] } } }).total.scorePercent).toBeUndefined();
  });

  it('lists the mutants left in the core folders with their place, and reads back the digest of every file it recorded', () => {
    const digests = new Map([
      ['lib/consume/lease.ts', 'ca978112ca1bbdca'],
      ['lib/config.ts', '2e7d2c03a9507ae2'],
      ['lib/consume/types.ts', '3e23e8160039594a'],
    ]);
    const markdown = renderSummary(report, { date: '2025-01-02', commit: 'abc', strykerVersion: '10.1.1' }, digests);
    expect(markdown).toContain('| `lib/consume/` | 80.0% | 3 | 1 | 1 | 0 | 1 |');
    expect(markdown).not.toContain('lib/config.ts:3');
    expect(markdown).toContain('| `lib/consume/lease.ts:7` | ConditionalExpression | survived |');
    expect(recordedDigests(markdown)).toEqual(digests);
  });

  it('counts a file changed, added or removed since the run as stale', () => {
    const recorded = new Map([
      ['a.ts', '1'],
      ['b.ts', '2'],
      ['c.ts', '3'],
    ]);
    const current = new Map([
      ['a.ts', '1'],
      ['b.ts', '9'],
      ['d.ts', '4'],
    ]);
    expect(staleFiles(recorded, current)).toEqual(['b.ts', 'c.ts', 'd.ts']);
  });

  it('digests content with SHA-256, first 16 hex digits', () => {
    expect(digestOf('a')).toBe('ca978112ca1bbdca');
  });
});

describe('withoutMachinePaths', () => {
  it('turns the project root and its sandboxes into ., leaving other text alone', () => {
    const text = JSON.stringify({
      projectRoot: '/home/dev/pipeline',
      statusReason:
        'failed: /home/dev/pipeline/.stryker-tmp/sandbox-eCMrdb/test/a.test.ts and /home/dev/pipeline/lib/x.ts, not /home/dev/pipeline2; earlier: /srv/ci/x/.stryker-tmp/sandbox-Q1/test/b.test.ts',
    });
    expect(JSON.parse(withoutMachinePaths(text, '/home/dev/pipeline'))).toEqual({
      projectRoot: '.',
      statusReason: 'failed: ./test/a.test.ts and ./lib/x.ts, not /home/dev/pipeline2; earlier: ./test/b.test.ts',
    });
  });
});
