import { describe, expect, it } from 'vitest';
import type { SASLOptions } from 'kafkajs';
import {
  createKafkaClientDepsResolver,
  FORCED_REREAD_INTERVAL_MS,
  parseCaSecret,
  parseClientCertificateSecret,
  parseScramSecret,
  type IamToken,
  type KafkaAuthProviders,
} from '../../../lib/kafka/auth';
import { createKafka } from '../../../lib/kafka/client';
import { httpErrorAnswerOf } from '../../../lib/http/status';
import type { KafkaConfig } from '../../../lib/config';
import { ConfigError, KafkaUnavailableError } from '../../../lib/errors';
import { createLogger, type Logger } from '../../../lib/logger';
import type { Clock } from '../../../lib/clock';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_pipeline-AbCdEf';
const PASSWORD = 'pa55-w0rd-never-logged';

function kafkaConfig(overrides: Partial<KafkaConfig>): KafkaConfig {
  return { brokers: ['b-1.example:9096'], auth: 'none', ssl: true, clientId: 'test', region: 'eu-west-1', ...overrides };
}

/** A logger that keeps every line, at every level. */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', (line) => lines.push(line)), lines };
}

function fakeClock(startMs: number): Clock & { advance(ms: number): void } {
  let now = startMs;
  return { nowMs: () => now, advance: (ms) => (now += ms) };
}

interface FakeProviders extends KafkaAuthProviders {
  secretReads: { secretArn: string; region: string }[];
  signings: string[];
}

function fakeProviders(options: { secret?: (secretArn: string) => Promise<string>; token?: (n: number) => IamToken } = {}): FakeProviders {
  const secretReads: { secretArn: string; region: string }[] = [];
  const signings: string[] = [];
  return {
    secretReads,
    signings,
    async readSecret(secretArn, region) {
      secretReads.push({ secretArn, region });
      return options.secret ? options.secret(secretArn) : JSON.stringify({ username: 'pipeline', password: PASSWORD });
    },
    async signIamToken(region) {
      signings.push(region);
      return options.token ? options.token(signings.length) : { token: `token-${signings.length}`, expiresAtMs: 1_000_000 + 900_000 };
    },
  };
}

async function bearer(sasl: SASLOptions | undefined): Promise<string> {
  if (sasl?.mechanism !== 'oauthbearer') throw new Error(`expected oauthbearer, got ${sasl?.mechanism}`);
  return (await sasl.oauthBearerProvider()).value;
}

describe('parseScramSecret', () => {
  it('reads the MSK AmazonMSK_ secret format', () => {
    expect(parseScramSecret('{"username":"alice","password":"s3cret"}')).toEqual({ username: 'alice', password: 's3cret' });
  });

  it('rejects text that is not JSON without quoting it', () => {
    const error = (() => {
      try {
        parseScramSecret(`not-json ${PASSWORD}`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('KAFKA_SASL_SECRET_ARN');
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('rejects a secret without a password, without quoting it', () => {
    expect(() => parseScramSecret('{"username":"alice"}')).toThrow(/non-empty "username" and "password"/);
    expect(() => parseScramSecret(`{"username":"","password":"${PASSWORD}"}`)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(PASSWORD) }),
    );
  });
});

describe('createKafkaClientDepsResolver', () => {
  it('adds nothing for KAFKA_AUTH=none and never calls AWS', async () => {
    const providers = fakeProviders();
    const { logger } = recordingLogger();
    const deps = await createKafkaClientDepsResolver(providers)(kafkaConfig({ auth: 'none' }), logger);
    expect(deps).toEqual({ logger });
    expect(providers.secretReads).toEqual([]);
    expect(providers.signings).toEqual([]);
  });

  it('leaves directly given SCRAM credentials to the client and reads no secret', async () => {
    const providers = fakeProviders();
    const { logger } = recordingLogger();
    const config = kafkaConfig({ auth: 'scram-sha-512', username: 'local', password: 'local-pass' });
    const deps = await createKafkaClientDepsResolver(providers)(config, logger);
    expect(deps.scramCredentials).toBeUndefined();
    expect(providers.secretReads).toEqual([]);
  });

  it('reads the SCRAM secret from Secrets Manager in the configured region, once per container', async () => {
    const providers = fakeProviders();
    const { logger } = recordingLogger();
    const resolve = createKafkaClientDepsResolver(providers);
    const config = kafkaConfig({ auth: 'scram-sha-512', saslSecretArn: SECRET_ARN });
    const [first, second] = await Promise.all([resolve(config, logger), resolve(config, logger)]);
    const third = await resolve(config, logger);
    expect(first.scramCredentials).toEqual({ username: 'pipeline', password: PASSWORD });
    expect(second.scramCredentials).toEqual({ username: 'pipeline', password: PASSWORD });
    expect(third.scramCredentials).toEqual({ username: 'pipeline', password: PASSWORD });
    expect(providers.secretReads).toEqual([{ secretArn: SECRET_ARN, region: 'eu-west-1' }]);
  });

  it('turns a failed secret read into a retriable KafkaUnavailableError and reads again next time', async () => {
    let failures = 1;
    const providers = fakeProviders({
      secret: async () => {
        if (failures-- > 0) throw new Error('ThrottlingException: Rate exceeded');
        return JSON.stringify({ username: 'pipeline', password: PASSWORD });
      },
    });
    const { logger } = recordingLogger();
    const resolve = createKafkaClientDepsResolver(providers);
    const config = kafkaConfig({ auth: 'scram-sha-512', saslSecretArn: SECRET_ARN });
    const error = await resolve(config, logger).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as KafkaUnavailableError).retriable).toBe(true);
    expect(httpErrorAnswerOf(error as KafkaUnavailableError).status).toBe(503);
    const deps = await resolve(config, logger);
    expect(deps.scramCredentials).toEqual({ username: 'pipeline', password: PASSWORD });
    expect(providers.secretReads).toHaveLength(2);
  });

  it('never writes the SCRAM password to the log, at any level', async () => {
    const { logger, lines } = recordingLogger();
    const config = kafkaConfig({ auth: 'scram-sha-512', saslSecretArn: SECRET_ARN });
    const deps = await createKafkaClientDepsResolver(fakeProviders())(config, logger);
    createKafka(config, deps);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('gives kafkajs an OAUTHBEARER provider that signs an IAM token for the configured region', async () => {
    const providers = fakeProviders();
    const { logger, lines } = recordingLogger();
    const deps = await createKafkaClientDepsResolver(providers, fakeClock(1_000_000))(kafkaConfig({ auth: 'aws-iam' }), logger);
    expect(providers.signings).toEqual([]);
    expect(await bearer(deps.iamSasl)).toBe('token-1');
    expect(providers.signings).toEqual(['eu-west-1']);
    expect(lines.join('\n')).not.toContain('token-1');
  });

  it('reuses the IAM token until one minute before it expires, then signs a new one', async () => {
    const clock = fakeClock(1_000_000);
    // Tokens live 15 minutes from when they are signed.
    const providers = fakeProviders({ token: (n) => ({ token: `token-${n}`, expiresAtMs: clock.nowMs() + 900_000 }) });
    const deps = await createKafkaClientDepsResolver(providers, clock)(kafkaConfig({ auth: 'aws-iam' }), recordingLogger().logger);
    expect(await bearer(deps.iamSasl)).toBe('token-1');
    clock.advance(839_999);
    expect(await bearer(deps.iamSasl)).toBe('token-1');
    clock.advance(1);
    expect(await bearer(deps.iamSasl)).toBe('token-2');
    expect(providers.signings).toHaveLength(2);
  });

  it('reports a failed signing as a retriable KafkaUnavailableError', async () => {
    const providers: KafkaAuthProviders = {
      readSecret: async () => '{}',
      signIamToken: async () => {
        throw new Error('CredentialsProviderError: Could not load credentials');
      },
    };
    const deps = await createKafkaClientDepsResolver(providers)(kafkaConfig({ auth: 'aws-iam' }), recordingLogger().logger);
    await expect(bearer(deps.iamSasl)).rejects.toBeInstanceOf(KafkaUnavailableError);
  });

  it('names AWS_REGION when a configuration that needs AWS has no region', async () => {
    const resolve = createKafkaClientDepsResolver(fakeProviders());
    const config = kafkaConfig({ auth: 'aws-iam', region: undefined });
    await expect(resolve(config, recordingLogger().logger)).rejects.toThrow(/^AWS_REGION: /);
  });
});

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHkey-never-logged\n-----END PRIVATE KEY-----\n';
const CLIENT_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-client-AbCdEf';
const CA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-root-ca-AbCdEf';

describe('parseClientCertificateSecret and parseCaSecret', () => {
  it("read the shapes of Lambda's CLIENT_CERTIFICATE_TLS_AUTH and SERVER_ROOT_CA_CERTIFICATE secrets", () => {
    expect(parseClientCertificateSecret(JSON.stringify({ certificate: CERT, privateKey: KEY }))).toEqual({ certificate: CERT, privateKey: KEY });
    expect(parseClientCertificateSecret(JSON.stringify({ certificate: CERT, privateKey: KEY, privateKeyPassword: 'pw' }))).toEqual({
      certificate: CERT,
      privateKey: KEY,
      privateKeyPassword: 'pw',
    });
    expect(parseCaSecret(JSON.stringify({ certificate: CERT }))).toBe(CERT);
  });

  it.each([
    ['not JSON', `${KEY} is not JSON`, /^KAFKA_CLIENT_CERT_SECRET_ARN: the secret is not a JSON object/],
    ['no certificate', JSON.stringify({ privateKey: KEY }), /"certificate" must be a PEM certificate/],
    ['a key that is not PEM', JSON.stringify({ certificate: CERT, privateKey: 'MIGHkey-never-logged' }), /"privateKey" must be a PEM private key/],
    ['a password that is not a string', JSON.stringify({ certificate: CERT, privateKey: KEY, privateKeyPassword: 7 }), /"privateKeyPassword" must be a string/],
  ])('refuse a client certificate secret with %s, without quoting it', (_name, text, message) => {
    const error = (() => {
      try {
        parseClientCertificateSecret(text);
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('never-logged');
  });

  it('refuse a CA secret without a PEM certificate, naming KAFKA_CA_SECRET_ARN', () => {
    expect(() => parseCaSecret('{"certificate":"abc"}')).toThrow(/^KAFKA_CA_SECRET_ARN: /);
    expect(() => parseCaSecret('[]x')).toThrow(/^KAFKA_CA_SECRET_ARN: /);
  });
});

describe('createKafkaClientDepsResolver: TLS material', () => {
  it('gives kafkajs the client certificate and key of an mtls secret and the CA of a CA secret, each read once', async () => {
    const providers = fakeProviders({
      secret: async (arn) =>
        arn === CLIENT_ARN ? JSON.stringify({ certificate: CERT, privateKey: KEY, privateKeyPassword: 'pw' }) : JSON.stringify({ certificate: CERT }),
    });
    const { logger, lines } = recordingLogger();
    const resolve = createKafkaClientDepsResolver(providers);
    const config = kafkaConfig({ auth: 'mtls', clientCertSecretArn: CLIENT_ARN, caSecretArn: CA_ARN });
    const deps = await resolve(config, logger);
    await resolve(config, logger);
    expect(deps.tls).toEqual({ ca: [CERT], cert: CERT, key: KEY, passphrase: 'pw' });
    expect(deps.scramCredentials).toBeUndefined();
    expect(providers.secretReads.map(({ secretArn }) => secretArn).sort()).toEqual([CA_ARN, CLIENT_ARN].sort());
    createKafka(config, deps);
    expect(lines.join('\n')).not.toContain('never-logged');
  });

  it('adds no TLS material without a CA or a client certificate', async () => {
    const deps = await createKafkaClientDepsResolver(fakeProviders())(kafkaConfig({ auth: 'none' }), recordingLogger().logger);
    expect(deps.tls).toBeUndefined();
  });

  it('names KAFKA_CA_FILE when the file cannot be read', async () => {
    const resolve = createKafkaClientDepsResolver(fakeProviders());
    await expect(resolve(kafkaConfig({ caFile: '/nonexistent/ca.pem' }), recordingLogger().logger)).rejects.toThrow(/^KAFKA_CA_FILE: cannot read/);
  });
});

describe('createKafkaClientDepsResolver.rereadAfterRefusal', () => {
  const scram = kafkaConfig({ auth: 'scram-sha-512', saslSecretArn: SECRET_ARN, caSecretArn: CA_ARN });

  it('reads the refused secret again on the next resolve, at once after a refusal and then at most every 10 s', async () => {
    const clock = fakeClock(1_000_000);
    let password = PASSWORD;
    const providers = fakeProviders({
      secret: async (arn) => (arn === CA_ARN ? JSON.stringify({ certificate: CERT }) : JSON.stringify({ username: 'u', password })),
    });
    const resolve = createKafkaClientDepsResolver(providers, clock);
    const { logger } = recordingLogger();
    await resolve(scram, logger);
    password = 'rotated';
    expect(resolve.rereadAfterRefusal(scram, 'credentials')).toBe(true);
    expect((await resolve(scram, logger)).scramCredentials).toEqual({ username: 'u', password: 'rotated' });
    clock.advance(FORCED_REREAD_INTERVAL_MS - 1);
    expect(resolve.rereadAfterRefusal(scram, 'credentials')).toBe(false);
    clock.advance(1);
    expect(resolve.rereadAfterRefusal(scram, 'credentials')).toBe(true);
    await resolve(scram, logger);
    expect(providers.secretReads.filter(({ secretArn }) => secretArn === SECRET_ARN)).toHaveLength(3);
    // The CA secret was never refused: read once.
    expect(providers.secretReads.filter(({ secretArn }) => secretArn === CA_ARN)).toHaveLength(1);
  });

  it('forgets the secret that holds what was refused, and nothing for refusals no secret can mend', () => {
    const resolve = createKafkaClientDepsResolver(fakeProviders(), fakeClock(0));
    const mtls = kafkaConfig({ auth: 'mtls', clientCertSecretArn: CLIENT_ARN, caSecretArn: CA_ARN });
    expect(resolve.rereadAfterRefusal(mtls, 'client-certificate')).toBe(true);
    expect(resolve.rereadAfterRefusal(mtls, 'server-certificate')).toBe(true);
    expect(resolve.rereadAfterRefusal(mtls, 'credentials')).toBe(false);
    expect(resolve.rereadAfterRefusal(mtls, 'tls-to-plaintext')).toBe(false);
    expect(resolve.rereadAfterRefusal(kafkaConfig({ auth: 'scram-sha-512', username: 'u', password: 'p' }), 'credentials')).toBe(false);
  });
});

describe('awsKafkaAuthProviders.signIamToken', () => {
  /** Runs `body` with these AWS variables only (the signer reads the default credential chain). */
  async function withAwsEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
    const saved = { ...process.env };
    for (const key of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CREDENTIAL_EXPIRATION']) delete process.env[key];
    Object.assign(process.env, env);
    try {
      return await body();
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }
  // Static credentials from the environment: the signer signs locally and calls no AWS service.
  const STATIC = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  /** `X-Amz-Date` (`20261205T180000Z`) in epoch milliseconds. */
  const amzDateMs = (value: string | null): number => Date.parse(String(value).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

  it('signs locally, with the official signer, a kafka-cluster:Connect presigned URL for the region', async () => {
    const { awsKafkaAuthProviders } = await import('../../../lib/kafka/auth');
    await withAwsEnv(STATIC, async () => {
      const { token, expiresAtMs } = await awsKafkaAuthProviders.signIamToken('eu-west-1');
      const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(url.searchParams.get('User-Agent')).toMatch(/^aws-msk-iam-sasl-signer-js\//);
      expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
      // Valid 15 minutes from its signing time, and the expiry the resolver refreshes by says so.
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect(expiresAtMs).toBe(amzDateMs(url.searchParams.get('X-Amz-Date')) + 900_000);
      expect(token).not.toContain('wJalrXUtnFEMI');
      expect(Buffer.from(token, 'base64url').toString('utf8')).not.toContain('wJalrXUtnFEMI');
    });
  });

  it('signs with session credentials (a Lambda role) and lets the token expire no later than they do', async () => {
    const { awsKafkaAuthProviders } = await import('../../../lib/kafka/auth');
    const credentialsExpireMs = Date.now() + 300_000;
    const env = { ...STATIC, AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXAMPLE', AWS_CREDENTIAL_EXPIRATION: new Date(credentialsExpireMs).toISOString() };
    await withAwsEnv(env, async () => {
      const { token, expiresAtMs } = await awsKafkaAuthProviders.signIamToken('eu-west-1');
      const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
      expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzEXAMPLE');
      const expiresSec = Number(url.searchParams.get('X-Amz-Expires'));
      expect(expiresSec).toBeGreaterThan(0);
      expect(expiresSec).toBeLessThanOrEqual(300);
      expect(expiresAtMs).toBe(amzDateMs(url.searchParams.get('X-Amz-Date')) + expiresSec * 1000);
      expect(expiresAtMs).toBeLessThanOrEqual(credentialsExpireMs);
    });
  });
});
