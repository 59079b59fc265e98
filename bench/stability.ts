/** Compares the goal figures of two bench runs, to show whether the ratios are stable. */
import type { GoalFigure } from './report';

/** Goal figures of two runs that differ by more than this are flagged. */
export const STABLE_WITHIN = 0.05;

/** One goal figure in two runs. */
export interface GoalDifference {
  name: string;
  first: number | undefined;
  second: number | undefined;
  /** `second - first`, undefined when either run lacks the figure. */
  difference: number | undefined;
  /** True when the difference is over {@link STABLE_WITHIN} or only one run has the figure. */
  flagged: boolean;
}

/** Pairs the figures of two runs by name, in the first run's order, then those only the second has. */
export function compareGoalFigures(first: readonly GoalFigure[], second: readonly GoalFigure[], within = STABLE_WITHIN): GoalDifference[] {
  const names = [...new Set([...first.map((figure) => figure.name), ...second.map((figure) => figure.name)])];
  return names.map((name) => {
    const a = first.find((figure) => figure.name === name)?.value;
    const b = second.find((figure) => figure.name === name)?.value;
    const difference = a === undefined || b === undefined ? undefined : b - a;
    return { name, first: a, second: b, difference, flagged: difference === undefined || Math.abs(difference) > within };
  });
}

/** The comparison as aligned text lines, one per figure, flagged ones marked. */
export function formatDifferences(differences: readonly GoalDifference[]): string[] {
  const width = Math.max(...differences.map((entry) => entry.name.length), 4);
  const number = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(3)).padStart(8);
  const sign = (value: number | undefined): string => (value === undefined ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(3)}`).padStart(8);
  return [
    `${'goal figure'.padEnd(width)}    first   second     diff`,
    ...differences.map(
      (entry) =>
        `${entry.name.padEnd(width)} ${number(entry.first)} ${number(entry.second)} ${sign(entry.difference)}${entry.flagged ? `  <- over ${STABLE_WITHIN}` : ''}`,
    ),
  ];
}
