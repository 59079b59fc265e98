/** Bounded concurrency with slots given back while a call waits. */
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../lib/consume/map-bounded';

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every pending callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('mapBounded', () => {
  it('keeps the order of the items in its results and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapBounded([30, 10, 20, 0], 2, async (item, index) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, item));
      running -= 1;
      return `${index}:${item}`;
    });
    expect(results).toEqual(['0:30', '1:10', '2:20', '3:0']);
    expect(most).toBe(2);
  });

  it('starts a queued item while a call waits away from its slot, and resumes the call once a slot is free again', async () => {
    const events: string[] = [];
    const registry = gate();
    const plainDone = gate();
    const done = mapBounded(['framed', 'plain-a', 'plain-b'], 1, async (item, _index, slot) => {
      events.push(`start ${item}`);
      if (item === 'framed') {
        await slot.away(() => registry.promise);
        events.push('framed resumed');
      }
      if (item === 'plain-a') await plainDone.promise;
      events.push(`end ${item}`);
      return item;
    });
    await settle();
    // The one slot went to the first queued item while the framed one waited.
    expect(events).toEqual(['start framed', 'start plain-a']);
    registry.open();
    await settle();
    // The wait is over, but the slot is plain-a's: the framed call queues behind plain-b.
    expect(events).toEqual(['start framed', 'start plain-a']);
    plainDone.open();
    expect(await done).toEqual(['framed', 'plain-a', 'plain-b']);
    expect(events).toEqual(['start framed', 'start plain-a', 'end plain-a', 'start plain-b', 'end plain-b', 'framed resumed', 'end framed']);
  });

  it('takes the slot again when the wait fails, and passes its error on', async () => {
    const results = await mapBounded([1, 2], 1, async (item, _index, slot) =>
      item === 1 ? slot.away(() => Promise.reject(new Error('still down'))).catch((error: Error) => error.message) : 'ran',
    );
    expect(results).toEqual(['still down', 'ran']);
  });
});
