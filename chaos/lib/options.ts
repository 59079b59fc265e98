/**
 * `npm run chaos`'s command line: `--name=value` options and flags, read into
 * {@link ChaosOptions}. Pure.
 */

/** What the command line asks for. */
export interface ChaosOptions {
  /** Scenario names to run; undefined runs all. */
  only?: string[];
  /** The sizes of the `npm test` version. */
  short: boolean;
  seed: number;
  /** Runs of the chosen scenarios; undefined for a single pass (the classic run). */
  repeat?: number;
  /** Load the CPU with busy threads while the runs go. */
  underLoad: boolean;
  /** Busy threads when under load. */
  loadThreads: number;
  /**
   * The pipeline connects to the broker's SASL_SSL listener (SCRAM-SHA-512 over TLS) instead of
   * the plaintext one, where a scenario supports it (acked-means-durable).
   */
  secure: boolean;
}

/** Busy threads per core by default under load: on 2 cores with a scenario running, a load average near 9, as when three test suites ran at once. */
export const DEFAULT_LOAD_THREADS_PER_CORE = 4;

export const CHAOS_USAGE = 'usage: npm run chaos -- [--only=name,name] [--short] [--secure] [--seed=N] [--repeat=N [--under-load [--load-threads=N]]]';

const FLAGS = new Set(['--short', '--under-load', '--secure']);
const VALUED = new Set(['only', 'seed', 'repeat', 'load-threads']);

function positiveInteger(name: string, text: string): number | string {
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 && /^\d+$/.test(text) ? value : `--${name} takes a whole number from 1, got ${JSON.stringify(text)}`;
}

/**
 * Reads `npm run chaos`'s arguments (`--name=value` options and flags); `cpus` sets the
 * default number of busy threads. Unknown options are refused, so that a mistyped
 * `--repeats=50` does not quietly run once.
 */
export function parseChaosArguments(args: readonly string[], cpus: number): ChaosOptions | { error: string } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const arg of args) {
    if (FLAGS.has(arg)) {
      flags.add(arg);
      continue;
    }
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match === null || !VALUED.has(match[1] as string)) return { error: `unknown argument ${arg}` };
    values.set(match[1] as string, match[2] as string);
  }
  const options: ChaosOptions = {
    short: flags.has('--short'),
    seed: 8,
    underLoad: flags.has('--under-load'),
    loadThreads: DEFAULT_LOAD_THREADS_PER_CORE * Math.max(1, cpus),
    secure: flags.has('--secure'),
  };
  const only = values.get('only');
  if (only !== undefined) options.only = only.split(',').filter((name) => name !== '');
  const seed = values.get('seed');
  if (seed !== undefined) {
    if (!/^-?\d+$/.test(seed)) return { error: `--seed takes a whole number, got ${JSON.stringify(seed)}` };
    options.seed = Number(seed);
  }
  for (const [name, key] of [
    ['repeat', 'repeat'],
    ['load-threads', 'loadThreads'],
  ] as const) {
    const text = values.get(name);
    if (text === undefined) continue;
    const value = positiveInteger(name, text);
    if (typeof value === 'string') return { error: value };
    options[key] = value;
  }
  if (options.underLoad && options.repeat === undefined) return { error: '--under-load goes with --repeat=N' };
  if (values.has('load-threads') && !options.underLoad) return { error: '--load-threads goes with --under-load' };
  return options;
}
