import { describe, expect, it } from 'vitest';
import { parseChaosArguments } from '../../../chaos/lib/options';

describe('parseChaosArguments', () => {
  it('gives a single pass of every scenario at full size with seed 8 when nothing is asked', () => {
    expect(parseChaosArguments([], 2)).toEqual({ short: false, seed: 8, underLoad: false, loadThreads: 8, secure: false });
  });

  it('reads the scenarios, the short sizes, the seed and a repeated run under load', () => {
    expect(parseChaosArguments(['--only=poison-record,store-outage', '--short', '--seed=3', '--repeat=50', '--under-load'], 2)).toEqual({
      only: ['poison-record', 'store-outage'],
      short: true,
      seed: 3,
      repeat: 50,
      underLoad: true,
      loadThreads: 8,
      secure: false,
    });
  });

  it('reads --secure, the pipeline on the SASL_SSL listener', () => {
    expect(parseChaosArguments(['--only=acked-means-durable', '--short', '--secure'], 2)).toMatchObject({
      only: ['acked-means-durable'],
      short: true,
      secure: true,
    });
  });

  it('takes the number of busy threads', () => {
    expect(parseChaosArguments(['--repeat=5', '--under-load', '--load-threads=3'], 2)).toMatchObject({ repeat: 5, underLoad: true, loadThreads: 3 });
  });

  it('defaults to four busy threads per core', () => {
    expect(parseChaosArguments(['--repeat=5', '--under-load'], 16)).toMatchObject({ loadThreads: 64 });
  });

  it.each([
    [['--repeats=50'], 'unknown argument --repeats=50'],
    [['--repeat'], 'unknown argument --repeat'],
    [['--under-load=yes'], 'unknown argument --under-load=yes'],
    [['--repeat=0'], '--repeat takes a whole number from 1, got "0"'],
    [['--repeat=2.5'], '--repeat takes a whole number from 1, got "2.5"'],
    [['--repeat=1e3'], '--repeat takes a whole number from 1, got "1e3"'],
    [['--repeat=3', '--under-load', '--load-threads=-1'], '--load-threads takes a whole number from 1, got "-1"'],
    [['--seed=x'], '--seed takes a whole number, got "x"'],
    [['--under-load'], '--under-load goes with --repeat=N'],
    [['--repeat=3', '--load-threads=2'], '--load-threads goes with --under-load'],
  ])('refuses %j', (args, error) => {
    expect(parseChaosArguments(args, 2)).toEqual({ error });
  });
});
