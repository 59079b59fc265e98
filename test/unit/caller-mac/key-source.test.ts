import { describe, expect, it } from 'vitest';
import { createCallerKeySource } from '../../../lib/caller-mac/key-source';
import { ConfigError, KeyUnavailableError } from '../../../lib/errors';
import { KEY_1, keyRingText, TEST_KEY_RING } from '../../helpers/caller-keys';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:caller-keys-AbCdEf';

describe('createCallerKeySource', () => {
  it('reads the secret once for the container, however many requests share it', async () => {
    const reads: string[] = [];
    const source = createCallerKeySource({ secretArn: ARN, region: 'eu-west-1' }, async (arn, region) => {
      reads.push(`${arn} ${region}`);
      return keyRingText('k1', { k1: KEY_1 });
    });
    const rings = await Promise.all([source.keys(), source.keys(), source.keys()]);
    await source.keys();
    expect(reads).toEqual([`${ARN} eu-west-1`]);
    expect(new Set(rings).size).toBe(1);
    expect(rings[0]?.current.id).toBe('k1');
  });

  it('answers a failed read as retriable, without the cause in its message, and reads again next time', async () => {
    let calls = 0;
    const source = createCallerKeySource({ secretArn: ARN, region: 'us-east-1' }, async () => {
      calls += 1;
      if (calls === 1) throw new Error(`AccessDeniedException: not authorized on ${ARN}`);
      return keyRingText('k1', { k1: KEY_1 });
    });
    const failure = await source.keys().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeyUnavailableError);
    expect((failure as KeyUnavailableError).retriable).toBe(true);
    expect((failure as Error).message).toBe('the caller key is unavailable; retry later');
    expect((await source.keys()).current.id).toBe('k1');
    expect(calls).toBe(2);
  });

  it('names CALLER_KEY_SECRET_ARN when the secret is not a key ring', async () => {
    const source = createCallerKeySource({ secretArn: ARN, region: 'us-east-1' }, async () => '{"username":"u","password":"p"}');
    await expect(source.keys()).rejects.toBeInstanceOf(ConfigError);
    await expect(source.keys()).rejects.toThrow(/^CALLER_KEY_SECRET_ARN: /);
  });

  it('serves a ring given in configuration without reading anything', async () => {
    const source = createCallerKeySource({ ring: TEST_KEY_RING }, async () => {
      throw new Error('no read expected');
    });
    expect(await source.keys()).toBe(TEST_KEY_RING);
  });
});
