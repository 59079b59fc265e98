/**
 * What the command-line scripts share when reading their arguments: a refusal that prints
 * the usage and exits with code 2, and the checks of a flag's value.
 */

/** Prints `message` and `usage` on stderr and exits with code 2 (a usage error). */
export function refuse(message: string, usage: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

/** The value of `flag` as a whole number of at least `min`; refuses anything else. */
export function wholeNumberArgument(flag: string, value: string | undefined, min: number, usage: string): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) refuse(`${flag} needs a whole number of at least ${min}`, usage);
  return Number(value);
}
