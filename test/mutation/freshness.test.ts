/**
 * The mutation score in test/MUTATION.md describes the code it was measured on. This compares
 * the files of the core folders with the digests that run recorded, so that the score cannot
 * quietly drift away from the code: by content, not by commit count, so it needs no Git
 * history (a shallow clone or a source archive checks the same).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_FOLDERS, MAX_STALE_CORE_FILES, recordedDigests, sourceDigests, staleFiles, SUMMARY_PATH } from '../../scripts/mutation-summary';

const isCore = (file: string): boolean => CORE_FOLDERS.some((folder) => file.startsWith(folder));

describe('test/MUTATION.md', () => {
  it(`was measured on the core as it is, give or take ${MAX_STALE_CORE_FILES} files`, () => {
    const recorded = new Map([...recordedDigests(readFileSync(SUMMARY_PATH, 'utf8'))].filter(([file]) => isCore(file)));
    expect(recorded.size, `${SUMMARY_PATH} records no source digests: run npm run mutation`).toBeGreaterThan(0);
    const stale = staleFiles(recorded, sourceDigests(CORE_FOLDERS));
    expect(
      stale.length,
      `${stale.length} files of ${CORE_FOLDERS.join(', ')} changed since ${SUMMARY_PATH} was written (${stale.join(', ')}): ` +
        'run npm run mutation (incremental: it retests what changed), kill or explain new survivors, and commit test/MUTATION.md with test/mutation/incremental.json',
    ).toBeLessThanOrEqual(MAX_STALE_CORE_FILES);
  });
});
