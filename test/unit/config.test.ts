import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { KEY_1, TEST_KEY_RING_TEXT } from '../helpers/caller-keys';

const CALLER_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:caller-keys-AbCdEf';
const lambda = {
  AWS_LAMBDA_FUNCTION_NAME: 'produce',
  KAFKA_BROKERS: 'b-1:9098',
  ALLOWED_TOPICS: 'orders',
  CALLER_KEY_SECRET_ARN: CALLER_KEYS_ARN,
  CALLER_KEY: '',
};

describe('loadConfig', () => {
  it('applies the documented defaults locally', () => {
    const config = loadConfig({
      AWS_LAMBDA_FUNCTION_NAME: '',
      KAFKA_BROKERS: '127.0.0.1:9092',
      ALLOWED_TOPICS: '',
      MAX_RECORDS_PER_REQUEST: '',
      MAX_REQUEST_BYTES: '',
      PRODUCE_RATE_LIMIT_PER_SEC: '',
      IDEMPOTENCY_TTL_SECONDS: '',
      IDEMPOTENCY_TABLE: '',
      MESSAGES_TABLE: '',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.produce.allowedTopics).toBe('*');
    expect(config.produce.maxRecordsPerRequest).toBe(500);
    // 1 MiB, Kafka's default request and message size.
    expect(config.produce.maxRequestBytes).toBe(1048576);
    expect(config.idempotency.ttlSeconds).toBe(86400);
    expect(config.tables).toEqual({ idempotency: 'idempotency', messages: 'messages' });
    // Locally a request without an authorizer is the anonymous caller; session names are not trusted.
    expect(config.produce.callers).toEqual({ allowAnonymous: true, trustSessionNames: false });
    // Locally every request is the anonymous caller: no per-caller limit unless asked for.
    expect(config.produce.rateLimitPerSec).toBe(0);
  });

  it('parses the produce allow-list: account ids, user, role and root ARNs, an organisation', () => {
    expect(loadConfig(lambda).produce.callers.allowList).toBeUndefined();
    const { allowList } = loadConfig({
      ...lambda,
      PRODUCE_ALLOWED_PRINCIPALS:
        '111122223333, arn:aws:iam::111122223333:user/ops/alice,arn:aws-cn:iam::444455556666:role/service/writer,arn:aws:iam::777788889999:root',
      PRODUCE_ALLOWED_ORG_ID: 'o-a1b2c3d4e5',
    }).produce.callers;
    expect(allowList).toEqual({
      principals: [
        { kind: 'account', accountId: '111122223333' },
        { kind: 'user', arn: 'arn:aws:iam::111122223333:user/ops/alice' },
        { kind: 'role', partition: 'aws-cn', accountId: '444455556666', roleName: 'writer' },
        { kind: 'account', accountId: '777788889999' },
      ],
      orgId: 'o-a1b2c3d4e5',
    });
    expect(loadConfig({ ...lambda, PRODUCE_ALLOWED_ORG_ID: 'o-a1b2c3d4e5' }).produce.callers.allowList).toEqual({ principals: [], orgId: 'o-a1b2c3d4e5' });
  });

  it('reads the caller keys from a secret in Lambda, and locally from CALLER_KEY or a key generated once per process', () => {
    expect(loadConfig({ ...lambda, AWS_REGION: 'eu-west-1' }).callerKeys).toEqual({ secretArn: CALLER_KEYS_ARN, region: 'eu-west-1' });
    const given = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', CALLER_KEY_SECRET_ARN: '', CALLER_KEY: TEST_KEY_RING_TEXT }).callerKeys;
    expect('ring' in given && given.ring.current.key.export().toString('base64')).toBe(KEY_1);
    const generated = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', CALLER_KEY_SECRET_ARN: '', CALLER_KEY: '' }).callerKeys;
    const again = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', CALLER_KEY_SECRET_ARN: '', CALLER_KEY: '' }).callerKeys;
    // One key per process, so that the produce and consume functions of one `npm start` agree.
    expect('ring' in generated && 'ring' in again && generated.ring === again.ring).toBe(true);
    expect('ring' in generated && generated.ring.current.id).toBe('local');
  });

  it('limits each caller to 20 requests per second in Lambda by default; PRODUCE_RATE_LIMIT_PER_SEC sets it, 0 turns it off', () => {
    expect(loadConfig({ ...lambda, PRODUCE_RATE_LIMIT_PER_SEC: '' }).produce.rateLimitPerSec).toBe(20);
    expect(loadConfig({ ...lambda, PRODUCE_RATE_LIMIT_PER_SEC: '0' }).produce.rateLimitPerSec).toBe(0);
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', PRODUCE_RATE_LIMIT_PER_SEC: '5' }).produce.rateLimitPerSec).toBe(5);
  });

  it('serves no anonymous caller in Lambda, and trusts session names only when told', () => {
    expect(loadConfig(lambda).produce.callers).toEqual({ allowAnonymous: false, trustSessionNames: false });
    expect(loadConfig({ ...lambda, CALLER_SESSION_NAME_TRUSTED: 'true' }).produce.callers).toEqual({ allowAnonymous: false, trustSessionNames: true });
  });

  it.each([
    [{}, { functionTimeoutSec: 60, leaseMs: 30_000 }],
    [{ CONSUME_FUNCTION_TIMEOUT_SEC: '120' }, { functionTimeoutSec: 120, leaseMs: 60_000 }],
    [{ CONSUME_LEASE_MS: '55000' }, { functionTimeoutSec: 60, leaseMs: 55_000 }],
    [
      { CONSUME_FUNCTION_TIMEOUT_SEC: '120', CONSUME_LEASE_MS: '20000' },
      { functionTimeoutSec: 120, leaseMs: 20_000 },
    ],
    // The consume lease is its own setting: the produce lease does not move it.
    [
      { IDEMPOTENCY_LEASE_MS: '90000', PRODUCE_TIMEOUT_MS: '60000' },
      { functionTimeoutSec: 60, leaseMs: 30_000 },
    ],
  ])('derives the consume lease from the consume timeout: %j', (env, consume) => {
    expect(loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC: '', CONSUME_LEASE_MS: '', ...env }).consume).toEqual(consume);
  });

  it.each([
    [{}, undefined],
    [{ MESSAGES_TTL_DAYS: '0' }, undefined],
    [{ MESSAGES_TTL_DAYS: '30' }, 2_592_000],
  ])('reads the messages TTL in days, none by default: %j', (env, messagesTtlSeconds) => {
    expect(loadConfig({ MESSAGES_TTL_DAYS: '', ...env }).consume.messagesTtlSeconds).toBe(messagesTtlSeconds);
  });

  it('rejects a messages TTL that is not a whole number of days', () => {
    expect(() => loadConfig({ MESSAGES_TTL_DAYS: '1.5' })).toThrow('MESSAGES_TTL_DAYS: must be a whole number, got "1.5"');
  });

  it.each([
    [
      { PRODUCE_TIMEOUT_MS: '20000', IDEMPOTENCY_LEASE_MS: '20000' },
      "IDEMPOTENCY_LEASE_MS: must be longer than PRODUCE_TIMEOUT_MS (20000 ms), within which a request's registry calls and send end, got 20000",
    ],
    [
      { IDEMPOTENCY_LEASE_MS: '5000' },
      "IDEMPOTENCY_LEASE_MS: must be longer than PRODUCE_TIMEOUT_MS (10000 ms), within which a request's registry calls and send end, got 5000",
    ],
  ])("rejects a produce lease the request's budget could outlast: %j", (env, message) => {
    expect(() => loadConfig({ PRODUCE_TIMEOUT_MS: '', ...env })).toThrow(message);
    expect(loadConfig({ PRODUCE_TIMEOUT_MS: '20000', IDEMPOTENCY_LEASE_MS: '20001' }).idempotency.leaseMs).toBe(20_001);
  });

  it.each([
    [
      { CONSUME_LEASE_MS: '55001' },
      "CONSUME_LEASE_MS: must be at most the consume function's timeout less 5000 ms kept to answer (CONSUME_FUNCTION_TIMEOUT_SEC = 60 s, so at most 55000), got 55001",
    ],
    [
      { CONSUME_FUNCTION_TIMEOUT_SEC: '30', CONSUME_LEASE_MS: '30000' },
      "CONSUME_LEASE_MS: must be at most the consume function's timeout less 5000 ms kept to answer (CONSUME_FUNCTION_TIMEOUT_SEC = 30 s, so at most 25000), got 30000",
    ],
    [
      { CONSUME_FUNCTION_TIMEOUT_SEC: '8', CONSUME_LEASE_MS: '6001' },
      "CONSUME_LEASE_MS: must be at most the consume function's timeout less 2000 ms kept to answer (CONSUME_FUNCTION_TIMEOUT_SEC = 8 s, so at most 6000), got 6001",
    ],
    [{ CONSUME_LEASE_MS: '50' }, 'CONSUME_LEASE_MS: must be between 100 and 9007199254740991, got 50'],
    [{ CONSUME_FUNCTION_TIMEOUT_SEC: '901' }, 'CONSUME_FUNCTION_TIMEOUT_SEC: must be between 1 and 900, got 901'],
  ])('rejects a consume lease or timeout out of range: %j', (env, message) => {
    expect(() => loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC: '', CONSUME_LEASE_MS: '', ...env })).toThrow(message);
  });

  it.each([
    [{ IDEMPOTENCY_TTL_SECONDS: '31' }, 31],
    [{ IDEMPOTENCY_TTL_SECONDS: '61', CONSUME_FUNCTION_TIMEOUT_SEC: '120' }, 61],
    [{ IDEMPOTENCY_TTL_SECONDS: '42', IDEMPOTENCY_LEASE_MS: '40500' }, 42],
  ])('accepts an IDEMPOTENCY_TTL_SECONDS that outlasts both leases by a second: %j', (env, ttlSeconds) => {
    expect(loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC: '', CONSUME_LEASE_MS: '', IDEMPOTENCY_LEASE_MS: '', ...env }).idempotency.ttlSeconds).toBe(ttlSeconds);
  });

  it.each([
    [
      { IDEMPOTENCY_TTL_SECONDS: '30' },
      'IDEMPOTENCY_TTL_SECONDS: must outlast the longest claim lease (30000 ms, of IDEMPOTENCY_LEASE_MS and CONSUME_LEASE_MS), or a live claim would count as expired: at least 31, got 30',
    ],
    [
      { IDEMPOTENCY_TTL_SECONDS: '60', CONSUME_FUNCTION_TIMEOUT_SEC: '120' },
      'IDEMPOTENCY_TTL_SECONDS: must outlast the longest claim lease (60000 ms, of IDEMPOTENCY_LEASE_MS and CONSUME_LEASE_MS), or a live claim would count as expired: at least 61, got 60',
    ],
    [
      { IDEMPOTENCY_TTL_SECONDS: '41', IDEMPOTENCY_LEASE_MS: '40500' },
      'IDEMPOTENCY_TTL_SECONDS: must outlast the longest claim lease (40500 ms, of IDEMPOTENCY_LEASE_MS and CONSUME_LEASE_MS), or a live claim would count as expired: at least 42, got 41',
    ],
  ])('refuses at cold start an IDEMPOTENCY_TTL_SECONDS a live claim would outlast: %j', (env, message) => {
    expect(() => loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC: '', CONSUME_LEASE_MS: '', IDEMPOTENCY_LEASE_MS: '', ...env })).toThrow(message);
  });

  it.each([
    [{}, 3_000],
    // Every one of 3 tries ends within a 5 s lease: a quarter of it.
    [{ CONSUME_LEASE_MS: '5000' }, 1_250],
    [{ DYNAMODB_REQUEST_TIMEOUT_MS: '500' }, 500],
    [{ DYNAMODB_REQUEST_TIMEOUT_MS: '7500' }, 7_500],
  ])('sets a DynamoDB request timeout within the shortest lease: %j', (env, timeoutMs) => {
    const unset = { CONSUME_FUNCTION_TIMEOUT_SEC: '', CONSUME_LEASE_MS: '', IDEMPOTENCY_LEASE_MS: '', DYNAMODB_REQUEST_TIMEOUT_MS: '' };
    expect(loadConfig({ ...unset, ...env }).aws.dynamoRequestTimeoutMs).toBe(timeoutMs);
  });

  it('refuses a DynamoDB request timeout whose tries would outlast the shortest lease', () => {
    expect(() =>
      loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC: '', IDEMPOTENCY_LEASE_MS: '', CONSUME_LEASE_MS: '5000', DYNAMODB_REQUEST_TIMEOUT_MS: '1251' }),
    ).toThrow('DYNAMODB_REQUEST_TIMEOUT_MS: must let all 3 tries of a request end within the shortest claim lease (5000 ms): at most 1250, got 1251');
  });

  it('reads the Powertools settings, with defaults', () => {
    const unset = { POWERTOOLS_SERVICE_NAME: '', POWERTOOLS_METRICS_NAMESPACE: '', POWERTOOLS_LOG_LEVEL: '', POWERTOOLS_LOGGER_SAMPLE_RATE: '' };
    expect(loadConfig(unset).observability).toEqual({ serviceName: 'kafka-pipeline', metricsNamespace: 'KafkaPipeline', logLevel: 'INFO', debugSampleRate: 0 });
    const set = {
      POWERTOOLS_SERVICE_NAME: 'orders',
      POWERTOOLS_METRICS_NAMESPACE: 'Shop',
      POWERTOOLS_LOG_LEVEL: 'debug',
      POWERTOOLS_LOGGER_SAMPLE_RATE: '0.05',
    };
    expect(loadConfig(set).observability).toEqual({ serviceName: 'orders', metricsNamespace: 'Shop', logLevel: 'DEBUG', debugSampleRate: 0.05 });
  });

  it.each([
    [{ POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL: must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD"'],
    [{ POWERTOOLS_LOGGER_SAMPLE_RATE: '1.5' }, 'POWERTOOLS_LOGGER_SAMPLE_RATE: must be a number from 0 to 1, got "1.5"'],
    [{ POWERTOOLS_LOGGER_SAMPLE_RATE: 'half' }, 'POWERTOOLS_LOGGER_SAMPLE_RATE: must be a number from 0 to 1, got "half"'],
  ])('rejects a malformed Powertools setting: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses lists and numbers', () => {
    const config = loadConfig({
      ...lambda,
      KAFKA_BROKERS: 'b-1:9098, b-2:9098',
      ALLOWED_TOPICS: 'orders,payments',
      MAX_RECORDS_PER_REQUEST: '10',
      MAX_REQUEST_BYTES: '4194304',
    });
    expect(config.kafka.brokers).toEqual(['b-1:9098', 'b-2:9098']);
    expect(config.produce.allowedTopics).toEqual(new Set(['orders', 'payments']));
    expect(config.produce.maxRecordsPerRequest).toBe(10);
    expect(config.produce.maxRequestBytes).toBe(4194304);
    expect(config.inLambda).toBe(true);
  });

  it.each([
    [{ ...lambda, KAFKA_BROKERS: '' }, 'KAFKA_BROKERS'],
    [{ ...lambda, KAFKA_BROKERS: 'no-port' }, 'KAFKA_BROKERS'],
    [{ ...lambda, ALLOWED_TOPICS: '' }, 'ALLOWED_TOPICS'],
    [{ ...lambda, ALLOWED_TOPICS: '*' }, 'ALLOWED_TOPICS'],
    [{ ...lambda, MAX_RECORDS_PER_REQUEST: 'ten' }, 'MAX_RECORDS_PER_REQUEST'],
    [{ ...lambda, PRODUCE_TIMEOUT_MS: '5' }, 'PRODUCE_TIMEOUT_MS'],
    [{ ...lambda, KAFKA_AUTH: 'plain' }, 'KAFKA_AUTH'],
    [{ ...lambda, KAFKA_AUTH: 'scram-sha-512' }, 'KAFKA_SASL_SECRET_ARN'],
    [{ ...lambda, KAFKA_SSL: 'yes' }, 'KAFKA_SSL'],
    [
      { ...lambda, KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s', KAFKA_SSL: 'false' },
      'KAFKA_SSL',
    ],
    [{ ...lambda, KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s', KAFKA_SSL: '' }, 'KAFKA_SSL'],
    [{ ...lambda, DYNAMODB_ENDPOINT: 'localhost:8000' }, 'DYNAMODB_ENDPOINT'],
    [{ ...lambda, DYNAMODB_ENDPOINT: 'http://dynamodb.us-east-1.amazonaws.com' }, 'DYNAMODB_ENDPOINT'],
    [{ ...lambda, DYNAMODB_ENDPOINT: 'http://10.0.0.7:8000' }, 'DYNAMODB_ENDPOINT'],
    [{ ...lambda, KAFKA_AUTH: 'scram-sha-512', KAFKA_SSL: 'true', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' }, 'KAFKA_USERNAME'],
    [{ ...lambda, KAFKA_AUTH: 'scram-sha-512', KAFKA_SSL: 'true', KAFKA_PASSWORD: 'p' }, 'KAFKA_PASSWORD'],
    // Refused even beside a secret: the password would still sit in the function's configuration.
    [
      {
        ...lambda,
        KAFKA_AUTH: 'scram-sha-512',
        KAFKA_SSL: 'true',
        KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s',
        KAFKA_PASSWORD: 'p',
      },
      'KAFKA_PASSWORD',
    ],
    [{ ...lambda, KAFKA_USERNAME: 'u' }, 'KAFKA_USERNAME'],
    [{ ...lambda, CALLER_SESSION_NAME_TRUSTED: 'sometimes' }, 'CALLER_SESSION_NAME_TRUSTED'],
    [{ ...lambda, CALLER_KEY_SECRET_ARN: '' }, 'CALLER_KEY_SECRET_ARN'],
    [{ ...lambda, PRODUCE_RATE_LIMIT_PER_SEC: 'lots' }, 'PRODUCE_RATE_LIMIT_PER_SEC'],
    // One DynamoDB item takes at most 1,000 writes per second.
    [{ ...lambda, PRODUCE_RATE_LIMIT_PER_SEC: '1001' }, 'PRODUCE_RATE_LIMIT_PER_SEC'],
    [{ ...lambda, CALLER_KEY_SECRET_ARN: 'caller-keys' }, 'CALLER_KEY_SECRET_ARN'],
    // A key in the function's environment is readable by whoever may read its configuration.
    [{ ...lambda, CALLER_KEY: TEST_KEY_RING_TEXT }, 'CALLER_KEY'],
    [{ AWS_LAMBDA_FUNCTION_NAME: '', CALLER_KEY_SECRET_ARN: '', CALLER_KEY: '{"current":"k1","keys":{"k1":"c2hvcnQ="}}' }, 'CALLER_KEY'],
    [{ ...lambda, PRODUCE_ALLOWED_PRINCIPALS: 'alice' }, 'PRODUCE_ALLOWED_PRINCIPALS'],
    [{ ...lambda, PRODUCE_ALLOWED_PRINCIPALS: 'arn:aws:sts::111122223333:assumed-role/writer/s' }, 'PRODUCE_ALLOWED_PRINCIPALS'],
    [{ ...lambda, PRODUCE_ALLOWED_PRINCIPALS: 'arn:aws:iam::111122223333:role/*' }, 'PRODUCE_ALLOWED_PRINCIPALS'],
    [{ ...lambda, PRODUCE_ALLOWED_PRINCIPALS: '1111222233' }, 'PRODUCE_ALLOWED_PRINCIPALS'],
    [{ ...lambda, PRODUCE_ALLOWED_ORG_ID: 'r-abcd' }, 'PRODUCE_ALLOWED_ORG_ID'],
    [{ ...lambda, KAFKA_AUTH: 'mtls' }, 'KAFKA_CLIENT_CERT_SECRET_ARN'],
    [{ ...lambda, KAFKA_AUTH: 'mtls', KAFKA_CLIENT_CERT_SECRET_ARN: 'client-cert' }, 'KAFKA_CLIENT_CERT_SECRET_ARN'],
    // A private key in a file would ship in the deployment package.
    [{ ...lambda, KAFKA_AUTH: 'mtls', KAFKA_CLIENT_CERT_FILE: 'client.pem', KAFKA_CLIENT_KEY_FILE: 'client.key' }, 'KAFKA_CLIENT_KEY_FILE'],
    [{ AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_AUTH: 'mtls', KAFKA_CLIENT_CERT_FILE: 'client.pem' }, 'KAFKA_CLIENT_CERT_SECRET_ARN'],
    [{ ...lambda, KAFKA_CA_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ca' }, 'KAFKA_SSL'],
    [{ ...lambda, KAFKA_SSL: 'true', KAFKA_CA_SECRET_ARN: 'root-ca' }, 'KAFKA_CA_SECRET_ARN'],
    [
      { ...lambda, KAFKA_SSL: 'true', KAFKA_CA_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ca', KAFKA_CA_FILE: 'ca.pem' },
      'KAFKA_CA_FILE',
    ],
  ])('rejects %o naming %s', (env, variable) => {
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
  });

  it('allows SCRAM with TLS in Lambda, and SCRAM without TLS only locally (local brokers have no TLS listener)', () => {
    const secret = { KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' };
    expect(loadConfig({ ...lambda, ...secret, KAFKA_SSL: 'true' }).kafka).toMatchObject({ auth: 'scram-sha-512', ssl: true });
    const scram = { KAFKA_AUTH: 'scram-sha-512', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' };
    expect(loadConfig({ ...scram, AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_SSL: 'false' }).kafka).toMatchObject({
      auth: 'scram-sha-512',
      ssl: false,
      username: 'u',
      password: 'p',
    });
  });

  it('reads mutual TLS from a client certificate secret, with TLS on whatever KAFKA_SSL says, and a private CA', () => {
    const config = loadConfig({
      ...lambda,
      KAFKA_AUTH: 'mtls',
      KAFKA_SSL: 'false',
      KAFKA_CLIENT_CERT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:client-AbCdEf',
      KAFKA_CA_FILE: '/opt/ca.pem',
    });
    expect(config.kafka).toMatchObject({
      auth: 'mtls',
      ssl: true,
      clientCertSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:client-AbCdEf',
      caFile: '/opt/ca.pem',
    });
    expect(config.kafka.clientKeyFile).toBeUndefined();
  });

  it('reads mutual TLS from certificate and key files locally, and a CA secret beside SCRAM', () => {
    const local = { AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_BROKERS: '127.0.0.1:19095' };
    expect(loadConfig({ ...local, KAFKA_AUTH: 'mtls', KAFKA_CLIENT_CERT_FILE: 'c.pem', KAFKA_CLIENT_KEY_FILE: 'c.key' }).kafka).toMatchObject({
      auth: 'mtls',
      ssl: true,
      clientCertFile: 'c.pem',
      clientKeyFile: 'c.key',
    });
    const scram = loadConfig({
      ...lambda,
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SSL: 'true',
      KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s',
      KAFKA_CA_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ca',
    });
    expect(scram.kafka.caSecretArn).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:ca');
  });

  it('accepts an https DynamoDB endpoint in Lambda, and plain http only to the loopback interface; locally any http(s) URL', () => {
    for (const endpoint of ['https://dynamodb.eu-west-1.amazonaws.com', 'http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000']) {
      expect(loadConfig({ ...lambda, DYNAMODB_ENDPOINT: endpoint }).aws.dynamoEndpoint).toBe(endpoint);
    }
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', DYNAMODB_ENDPOINT: 'http://10.0.0.7:8000' }).aws.dynamoEndpoint).toBe('http://10.0.0.7:8000');
  });

  it('reads the schema registry: its URL without a trailing slash, credentials from a secret in Lambda, directly only locally', () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf';
    expect(loadConfig({ ...lambda, SCHEMA_REGISTRY_URL: 'https://registry.example.com/', SCHEMA_REGISTRY_SECRET_ARN: secretArn }).schemaRegistry).toEqual({
      url: 'https://registry.example.com',
      timeoutMs: 3000,
      credentials: { secretArn, region: 'us-east-1' },
    });
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', SCHEMA_REGISTRY_URL: '' }).schemaRegistry).toBeUndefined();
    expect(
      loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', SCHEMA_REGISTRY_URL: 'http://10.0.0.9:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })
        .schemaRegistry?.credentials,
    ).toEqual({ username: 'u', password: 'p' });
    expect(() => loadConfig({ ...lambda, SCHEMA_REGISTRY_URL: 'https://r.example.com', SCHEMA_REGISTRY_PASSWORD: 'p' })).toThrow(
      new ConfigError('SCHEMA_REGISTRY_PASSWORD', 'is refused in Lambda: put the credentials in a secret and name it in SCHEMA_REGISTRY_SECRET_ARN'),
    );
    expect(() => loadConfig({ ...lambda, SCHEMA_REGISTRY_URL: 'http://10.0.0.9:8081' })).toThrow(
      new ConfigError('SCHEMA_REGISTRY_URL', 'must be https:// in Lambda (plain http:// only to the loopback interface)'),
    );
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', SCHEMA_REGISTRY_URL: 'ftp://x' })).toThrow(
      new ConfigError('SCHEMA_REGISTRY_URL', '"ftp://x" is not an http(s) URL'),
    );
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', SCHEMA_REGISTRY_URL: '', SCHEMA_REGISTRY_SECRET_ARN: secretArn })).toThrow(
      new ConfigError('SCHEMA_REGISTRY_URL', 'is required when SCHEMA_REGISTRY_SECRET_ARN is set'),
    );
  });

  it('reads the Glue schema registry ARN and asks Glue in its region', () => {
    expect(loadConfig({ ...lambda, GLUE_SCHEMA_REGISTRY_ARN: 'arn:aws:glue:eu-west-1:123456789012:registry/orders' }).glueSchemaRegistry).toEqual({
      arn: 'arn:aws:glue:eu-west-1:123456789012:registry/orders',
      region: 'eu-west-1',
    });
    expect(() => loadConfig({ ...lambda, GLUE_SCHEMA_REGISTRY_ARN: 'orders' })).toThrow(
      new ConfigError('GLUE_SCHEMA_REGISTRY_ARN', '"orders" is not an AWS Glue registry ARN (arn:aws:glue:<region>:<account>:registry/<name>)'),
    );
  });
});

describe('loadConfig refuses malformed values, naming the variable', () => {
  it.each([
    ['a list of nothing but commas', { ALLOWED_TOPICS: ' , ,' }, 'ALLOWED_TOPICS: must list at least one value'],
    ['a topic name Kafka would refuse', { ALLOWED_TOPICS: 'orders,bad topic' }, 'ALLOWED_TOPICS: "bad topic" is not a valid topic name'],
    ['a DynamoDB endpoint that is no URL', { DYNAMODB_ENDPOINT: 'localhost 8000' }, 'DYNAMODB_ENDPOINT: "localhost 8000" is not an http(s) URL'],
    ['a registry URL that is no URL', { SCHEMA_REGISTRY_URL: 'registry:8081 x' }, 'SCHEMA_REGISTRY_URL: "registry:8081 x" is not an http(s) URL'],
    ['a registry URL of another scheme', { SCHEMA_REGISTRY_URL: 'ftp://registry' }, 'SCHEMA_REGISTRY_URL: "ftp://registry" is not an http(s) URL'],
    [
      'a registry secret that is no Secrets Manager ARN',
      { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', SCHEMA_REGISTRY_SECRET_ARN: 'registry-secret' },
      'SCHEMA_REGISTRY_SECRET_ARN: "registry-secret" is not a Secrets Manager secret ARN',
    ],
    [
      'a registry user without a password',
      { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', SCHEMA_REGISTRY_USERNAME: 'u' },
      'SCHEMA_REGISTRY_USERNAME: and SCHEMA_REGISTRY_PASSWORD go together',
    ],
    [
      'a registry password without a user',
      { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', SCHEMA_REGISTRY_PASSWORD: 'p' },
      'SCHEMA_REGISTRY_USERNAME: and SCHEMA_REGISTRY_PASSWORD go together',
    ],
  ])('%s', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message.slice(0, message.indexOf(':')), message.slice(message.indexOf(':') + 2)));
  });

  it('takes registry credentials given together, and a secret ARN of any partition', () => {
    expect(loadConfig({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }).schemaRegistry).toEqual({
      url: 'http://127.0.0.1:8081',
      timeoutMs: 3_000,
      credentials: { username: 'u', password: 'p' },
    });
    expect(
      loadConfig({
        SCHEMA_REGISTRY_URL: 'https://registry.example',
        SCHEMA_REGISTRY_SECRET_ARN: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:r-AbCdEf',
      }).schemaRegistry?.credentials,
    ).toEqual({ secretArn: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:r-AbCdEf', region: 'us-east-1' });
  });
});
