/** An {@link Every} that tests tick by hand. */
import type { Every } from '../../../lib/consume/lease';

/** An {@link Every} the test ticks by hand; `active()` counts the schedules not cancelled. */
export function manualEvery() {
  const ticks = new Set<() => void>();
  const every: Every = (_, tick) => {
    ticks.add(tick);
    return () => ticks.delete(tick);
  };
  return {
    every,
    tick: () => {
      for (const tick of ticks) tick();
    },
    active: () => ticks.size,
  };
}
