/**
 * Where a container gets its caller MAC keys: in AWS from a Secrets Manager secret, read on
 * first use and then kept for the container's life (no AWS call per request or record); locally
 * from configuration. A failed read is tried again on the next use.
 *
 * The key material is handed to `node:crypto` only: it never reaches a log line or an error.
 */
import { KeyUnavailableError } from '../errors';
import type { CallerKeyRing } from './key-ring';
import { parseCallerKeyRing } from './key-ring';

/** Where the keys come from, as `lib/config.ts` resolved it. */
export type CallerKeyConfig = { secretArn: string; region: string } | { ring: CallerKeyRing };

/** The container's caller MAC keys. */
export interface CallerKeySource {
  /**
   * The key ring, read once.
   *
   * @throws {KeyUnavailableError} when the secret cannot be read (retriable).
   * @throws {ConfigError} naming `CALLER_KEY_SECRET_ARN` when the secret is not a valid key ring.
   */
  keys(): Promise<CallerKeyRing>;
}

/** Reads a secret's string value; the real one is `lib/aws/secrets.ts`, loaded on demand. */
export type SecretReader = (secretArn: string, region: string) => Promise<string>;

const readFromSecretsManager: SecretReader = async (secretArn, region) => {
  const { readSecretString } = await import('../aws/secrets');
  return readSecretString(secretArn, region);
};

/** A source that always answers `ring` (local runs, tests). */
export function staticCallerKeys(ring: CallerKeyRing): CallerKeySource {
  const ready = Promise.resolve(ring);
  return { keys: () => ready };
}

/**
 * The key source for `config`. Create one per container (module scope, or once per runtime):
 * the secret is read on the first call and its ring shared by every later one.
 */
export function createCallerKeySource(config: CallerKeyConfig, readSecret: SecretReader = readFromSecretsManager): CallerKeySource {
  if ('ring' in config) return staticCallerKeys(config.ring);
  let loaded: Promise<CallerKeyRing> | undefined;
  return {
    keys() {
      if (loaded === undefined) {
        const loading = readSecret(config.secretArn, config.region).then(
          (text) => parseCallerKeyRing(text, 'CALLER_KEY_SECRET_ARN'),
          (error: unknown) => {
            throw new KeyUnavailableError('the caller key is unavailable; retry later', { cause: error });
          },
        );
        loaded = loading;
        loading.catch(() => {
          if (loaded === loading) loaded = undefined;
        });
      }
      return loaded;
    },
  };
}
