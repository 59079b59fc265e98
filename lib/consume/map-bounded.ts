/**
 * Bounded concurrency over a list, where a call may give its slot back while it only waits:
 * the bound is on work in flight, not on calls waiting for something that clears by itself.
 */

/** The slot a {@link mapBounded} call runs in. */
export interface Slot {
  /**
   * Runs `wait` without the slot, so that an item queued for one runs meanwhile, then takes a
   * slot again, queued behind the items already waiting for one.
   *
   * @returns what `wait` resolves with, once the slot is held again.
   * @throws whatever `wait` rejects with, once the slot is held again.
   */
  away<T>(wait: () => Promise<T>): Promise<T>;
}

/** A counting semaphore whose waiters take free slots first come, first served. */
function createSemaphore(limit: number): { acquire(): Promise<void>; release(): void } {
  let free = limit;
  const waiting: (() => void)[] = [];
  return {
    async acquire() {
      if (free > 0) {
        free -= 1;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      // A slot given back goes straight to the first waiter, so a newcomer cannot overtake it.
      if (next === undefined) free += 1;
      else next();
    },
  };
}

/**
 * Runs an async function over items with at most `limit` calls holding a slot at once (at
 * least 1), started in order, keeping the results' order. A call gives its slot back while it
 * waits through {@link Slot.away}.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number, slot: Slot) => Promise<R>): Promise<R[]> {
  const slots = createSemaphore(Math.max(1, limit));
  const slot: Slot = {
    async away(wait) {
      slots.release();
      try {
        return await wait();
      } finally {
        await slots.acquire();
      }
    },
  };
  return Promise.all(
    items.map(async (item, index) => {
      await slots.acquire();
      try {
        return await fn(item, index, slot);
      } finally {
        slots.release();
      }
    }),
  );
}
