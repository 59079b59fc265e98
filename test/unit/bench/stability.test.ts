import { describe, expect, it } from 'vitest';
import { compareGoalFigures, formatDifferences } from '../../../bench/stability';
import { rotation } from '../../../bench/stats';

describe('compareGoalFigures', () => {
  it('pairs figures by name and flags a difference over 0.05 or a figure only one run has', () => {
    const differences = compareGoalFigures(
      [
        { name: 'produce', value: 0.8 },
        { name: 'http', value: 0.7 },
        { name: 'gone', value: 1 },
      ],
      [
        { name: 'http', value: 0.76 },
        { name: 'produce', value: 0.84 },
        { name: 'new', value: 2 },
      ],
    );
    expect(differences.map(({ name, flagged }) => [name, flagged])).toEqual([
      ['produce', false],
      ['http', true],
      ['gone', true],
      ['new', true],
    ]);
    expect(differences[0]?.difference).toBeCloseTo(0.04, 10);
    expect(differences[2]?.difference).toBeUndefined();
  });

  it('prints one line per figure and marks the flagged ones', () => {
    const lines = formatDifferences(compareGoalFigures([{ name: 'http', value: 0.7 }], [{ name: 'http', value: 0.76 }]));
    expect(lines).toEqual(['goal figure    first   second     diff', 'http    0.700    0.760   +0.060  <- over 0.05']);
  });
});

describe('rotation', () => {
  it('lets each item go first in turn', () => {
    expect([0, 1, 2, 3].map((round) => rotation(['a', 'b', 'c'], round).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('leaves an empty list empty', () => {
    expect(rotation([], 3)).toEqual([]);
  });
});
