import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, progressLine } from '../../../local/progress';
import { FakeClock } from '../../helpers/fake-clock';

describe('progressLine', () => {
  const base = { label: 'bench', stepIndex: 2, steps: 5, stepName: 'consume', stepStartedMs: 0 };

  it('names the step, how far it is and how long it has run', () => {
    expect(progressLine({ ...base, done: { count: 3, total: 12, unit: 'rounds' } }, 64_000)).toBe('[bench] 2/5 consume: 3/12 rounds, 1m04s');
  });

  it('adds what the step says of itself', () => {
    expect(progressLine({ ...base, stepName: 'poison-record', detail: 'sent 40, retries 3' }, 2_000)).toBe('[bench] 2/5 poison-record: sent 40, retries 3, 2s');
  });

  it('leaves out how far when the step does not say', () => {
    expect(progressLine(base, 9_999)).toBe('[bench] 2/5 consume: 9s');
  });
});

describe('createProgress', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a line at each step and every period while it runs, none after finish', () => {
    vi.useFakeTimers();
    const clock = new FakeClock(0);
    const lines: string[] = [];
    const progress = createProgress({ label: 'chaos', steps: 2, write: (line) => lines.push(line), clock, everyMs: 1_000 });
    progress.step('poison-record');
    progress.advance(1, 4, 'phases');
    progress.detail('sent 7');
    clock.nowValueMs = 1_000;
    vi.advanceTimersByTime(1_000);
    progress.step('store-outage');
    progress.finish();
    vi.advanceTimersByTime(5_000);
    expect(lines).toEqual(['[chaos] 1/2 poison-record: 0s', '[chaos] 1/2 poison-record: 1/4 phases, sent 7, 1s', '[chaos] 2/2 store-outage: 0s']);
  });
});
