/** An {@link Every} that tests tick by hand. */
import type { Every } from '../../../lib/consume/lease';

/** An {@link Every} the test ticks by hand; `active()` counts the schedules not cancelled, `intervalsMs()` lists each schedule's interval. */
export function manualEvery() {
  const ticks = new Set<() => void>();
  const intervalsMs: number[] = [];
  const every: Every = (everyMs, tick) => {
    ticks.add(tick);
    intervalsMs.push(everyMs);
    return () => ticks.delete(tick);
  };
  return {
    every,
    tick: () => {
      for (const tick of ticks) tick();
    },
    active: () => ticks.size,
    intervalsMs: () => intervalsMs,
  };
}
