/**
 * The produce bench reads each answer once a round's clock has stopped, and a refused record
 * still fails the run; two subjects taking turns are timed request by request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { measureProduce, measureTurns, type ProduceSubject } from '../../../bench/produce';

function subject(name: string, events: string[], refuseAt?: number): ProduceSubject {
  let sent = 0;
  return {
    name,
    prepare: () => async () => {
      const request = sent++;
      events.push(`${name} sent ${request}`);
      return () => {
        events.push(`${name} checked ${request}`);
        if (request === refuseAt) throw new Error(`${name}: record refused in request ${request}`);
      };
    },
    close: async () => undefined,
  };
}

describe('measureProduce answer checks', () => {
  it("checks a round's answers after all of its requests were sent", async () => {
    const events: string[] = [];
    await measureProduce([subject('base', events)], [{ recordsPerRequest: 1, requestsPerRound: 2, rounds: 1 }]);
    // Five warm-up requests are checked as they go; the round's two after both were sent.
    expect(events.slice(10)).toEqual(['base sent 5', 'base sent 6', 'base checked 5', 'base checked 6']);
  });

  it('fails the run when an answer reports a record not acknowledged', async () => {
    const events: string[] = [];
    const run = measureProduce([subject('base', events), subject('v3', events, 6)], [{ recordsPerRequest: 1, requestsPerRound: 2, rounds: 1 }]);
    await expect(run).rejects.toThrow('v3: record refused in request 6');
  });
});

describe('measureTurns', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A subject whose every request takes `ms` on a clock that only requests move. */
  function timed(name: string, ms: number, clock: { now: number }, events: string[]): ProduceSubject {
    return {
      name,
      prepare: () => async () => {
        clock.now += ms;
        events.push(name);
        return () => events.push(`${name} checked`);
      },
      close: async () => undefined,
    };
  }

  it("takes turns request by request, alternating who goes first, and divides the reference's time by the subject's", async () => {
    const clock = { now: 0 };
    vi.spyOn(performance, 'now').mockImplementation(() => clock.now);
    const events: string[] = [];
    const figure = await measureTurns(timed('v3', 4, clock, events), timed('v2', 3, clock, events), {
      recordsPerRequest: 100,
      requestsPerRound: 2,
      rounds: 2,
    });
    expect(figure).toEqual({ subject: 'v3', reference: 'v2', recordsPerRequest: 100, requestsPerRound: 2, rounds: 2, ratio: 0.75, roundRatios: [0.75, 0.75] });
    // After ten warm-up requests (checked as they go): round 0 starts with v3, round 1 with v2; checks after each round.
    const rounds = events.slice(20);
    expect(rounds).toEqual([
      'v3',
      'v2',
      'v2',
      'v3',
      'v3 checked',
      'v2 checked',
      'v2 checked',
      'v3 checked',
      'v2',
      'v3',
      'v3',
      'v2',
      'v2 checked',
      'v3 checked',
      'v3 checked',
      'v2 checked',
    ]);
  });
});
