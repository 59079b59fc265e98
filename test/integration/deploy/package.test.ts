/**
 * The deployed shape, checked offline: `npm run package` runs once (plus two parameter
 * variants from the same bundles), then the template is asserted on, validated with
 * cfn-lint, scanned with checkov, and each built bundle is invoked once in a fresh Node
 * process against the local broker and store.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { unzipSync } from 'fflate';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTables, createTestTopic, testBrokers, testConfig, testDynamo, testDynamoEndpoint, testKafka } from '../../helpers/infra';
import { TEST_KEY_RING_TEXT } from '../../helpers/caller-keys';
import { asCaller, httpEvent, iamAuthorizer } from '../../helpers/http-events';
import { kafkaEvent } from '../../helpers/kafka-events';
import { ensureTemplateTools, templateToolPath } from '../../helpers/template-tools';
import { invokeBundle } from './bundle-process';
import { startSecretsStandIn, type SecretsStandIn } from '../../../local/secrets-manager-stand-in';
import { BUNDLE_BUILD_OPTIONS } from '../../../scripts/package-bundles';
import { loadConfig } from '../../../lib/config';
import { consumeIdempotencyKey } from '../../../lib/consume/message-id';
import { produceIdempotencyKey } from '../../../lib/produce/idempotency';
import { rateLimitKey } from '../../../lib/produce/rate-limit';
import { ROUTES, routeKeyOf } from '../../../lib/produce/route';
import { DEFAULT_INVOCATION_TIMEOUT_MS } from '../../../local/event-source-emulator';
import { readEventSourceSettings } from '../../../local/event-source-settings';
import { ROOT, asList, iamStatements, packageStack, packageVariant, packageWithEventSource, run, type CfnTemplate, type PackageResult } from './stack';

const CLUSTER = 'arn:aws:kafka:us-east-1:123456789012:cluster/example/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1';
const TOPIC_PREFIX = 'arn:aws:kafka:us-east-1:123456789012:topic/example/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1';
const GROUP_PREFIX = 'arn:aws:kafka:us-east-1:123456789012:group/example/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1';
const SCRAM_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_kafka-scram-AbCdEf';
const CONSUME_SCRAM_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_kafka-scram-consume-GhIjKl';
const ROOT_CA_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-root-ca-AbCdEf';
const CLIENT_CERT_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-client-cert-AbCdEf';
const CONSUME_CLIENT_CERT_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-client-cert-consume-GhIjKl';
const CALLER_KEYS_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pipeline-caller-keys-AbCdEf';
const GLUE_REGISTRY = 'arn:aws:glue:us-east-1:123456789012:registry/orders';
const REGISTRY_BASIC_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-basic-MnOpQr';
const REGISTRY_CA_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-ca-StUvWx';

let packaged: PackageResult;
let template: CfnTemplate;
let prod: CfnTemplate;
let selfManaged: { template: CfnTemplate; templatePath: string };
/** Another mapping: filters, no batching window, record age, bisection, infinite retries, an SQS destination. */
let tuned: { template: CfnTemplate; templatePath: string };
let selfManagedMtls: { template: CfnTemplate; templatePath: string };
let variantsDir: string;

async function packageAll(): Promise<void> {
  variantsDir = await mkdtemp(join(tmpdir(), 'deploy-variants-'));
  packaged = await packageStack(join(variantsDir, 'default'));
  template = packaged.template;
  // One at a time: the framework clears and rewrites .serverless/ on every run, whatever --package says.
  // prod also reads an AWS Glue schema registry; the self-managed stage a Confluent-compatible one.
  prod = (await packageVariant(join(variantsDir, 'prod'), ['--stage', 'prod', `--param=schemaRegistryUri=${GLUE_REGISTRY}`])).template;
  selfManaged = await packageVariant(join(variantsDir, 'self-managed'), [
    '--param=kafkaSource=selfManaged',
    '--param=kafkaBrokers=kafka-1.example.net:9096,kafka-2.example.net:9096',
    '--param=kafkaCa=private',
    '--param=produceAuthorizer=jwt',
    '--param=jwtIssuerUrl=https://issuer.example.com/',
    // A throwaway stage opting out of table protection, as it must: explicitly.
    '--param=deletionProtection=false',
    '--param=tableDeletionPolicy=Delete',
    // Params given on the command line arrive as text.
    '--param=produceReservedConcurrency=20',
    '--param=consumeReservedConcurrency=6',
    '--param=messagesTableMaxWriteRequestUnits=500',
    '--param=messagesTtlDays=30',
    '--param=schemaRegistryUri=https://registry.example.com',
    `--param=schemaRegistryBasicAuthSecretArn=${REGISTRY_BASIC_SECRET}`,
    `--param=schemaRegistryRootCaSecretArn=${REGISTRY_CA_SECRET}`,
    '--param=schemaRegistryRecordFormat=JSON',
    '--param=schemaRegistryValidation=KEY,VALUE',
  ]);
  tuned = await packageWithEventSource(
    join(variantsDir, 'tuned-source'),
    join(variantsDir, 'tuned'),
    {
      maximumBatchingWindowInSeconds: 0,
      maximumRecordAgeInSeconds: 3_600,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: -1,
      filterPatterns: [{ value: { device_ID: [{ prefix: 'AB' }] } }, { value: [{ prefix: 'Hello' }] }],
      provisionedPollers: { minimum: 2, maximum: 4 },
    },
    ['--param=onFailureDestination=arn:aws:sqs:us-east-1:123456789012:consume-failures', '--param=consumeReservedConcurrency=20'],
  );
  selfManagedMtls = await packageVariant(join(variantsDir, 'self-managed-mtls'), [
    '--param=kafkaSource=selfManaged',
    '--param=kafkaClientAuth=mtls',
    '--param=kafkaBrokers=kafka-1.example.net:9094',
    '--param=network=public',
  ]);
  process.stderr.write(`[deploy] npm run package took ${packaged.durationMs} ms\n`);
}

beforeAll(async () => {
  // The template checks' Python tools install on first use (a minute or two) while the stack packages.
  await Promise.all([ensureTemplateTools((message) => process.stderr.write(`[deploy] ${message}\n`)), packageAll()]);
}, 480_000);

afterAll(async () => {
  if (variantsDir !== undefined) await rm(variantsDir, { recursive: true, force: true });
});

function resource(t: CfnTemplate, logicalId: string): Record<string, any> {
  const found = t.Resources[logicalId];
  if (found === undefined) throw new Error(`${logicalId} is not in the template; it has ${Object.keys(t.Resources).join(', ')}`);
  return found.Properties ?? {};
}

describe('functions and their bundles', () => {
  it.each(['produce', 'consume'])('%s runs nodejs24.x on arm64 from its prebuilt bundle with source maps on', (name) => {
    const fn = resource(template, `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`);
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Code.S3Key).toMatch(new RegExp(`/${name}\\.zip$`));
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it.each(['produce', 'consume'])('the %s zip holds the minified ESM bundle and its source map', async (name) => {
    const files = unzipSync(await readFile(join(packaged.outDir, `${name}.zip`)));
    expect(Object.keys(files)).toContain('index.mjs');
    expect(Object.keys(files)).toContain('index.mjs.map');
    const code = Buffer.from(files['index.mjs']!).toString('utf8');
    expect(code.slice(-100)).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: a few very long lines, not one statement per line.
    expect(code.split('\n').length).toBeLessThan(50);
    const map = JSON.parse(Buffer.from(files['index.mjs.map']!).toString('utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith(`functions/${name}.ts`))).toBe(true);
  });

  it('keeps each bundle within its size budget', () => {
    const { produce, consume } = packaged.bundles;
    process.stderr.write(`[deploy] bundle figures (bytes): ${JSON.stringify(packaged.bundles)}\n`);
    // What a cold start loads: index.mjs and its static chunks, minified. Consume loads the
    // DynamoDB client; produce loads kafkajs (about 263 KB) and the DynamoDB client only on
    // the first request with an Idempotency-Key, the v3 and read routes on their first request.
    expect(consume?.coldStartBytes).toBeLessThan(400_000);
    expect(produce?.coldStartBytes).toBeLessThan(400_000);
    // Lambda's limit for a zip uploaded directly is 50 MB; these stay far below. Produce carries
    // the three schema codecs (lazy chunks, not loaded at cold start): 999,484 bytes before
    // Protobuf's JSON mapping, the bounded caches and schema references, 1,004,243 with them.
    expect(produce?.zipBytes).toBeLessThan(1_050_000);
    expect(consume?.zipBytes).toBeLessThan(1_000_000);
  });

  it('logs each function to a log group with a retention, longer in prod', () => {
    expect(resource(template, 'ProduceLogGroup').RetentionInDays).toBe(14);
    expect(resource(template, 'ConsumeLogGroup').RetentionInDays).toBe(14);
    expect(resource(prod, 'ProduceLogGroup').RetentionInDays).toBe(90);
  });
});

describe('produce', () => {
  /** The template's routes that reach the produce function, by route key. */
  const produceRoutes = (of: CfnTemplate): Map<string, Record<string, unknown>> =>
    new Map(
      Object.values(of.Resources)
        .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && JSON.stringify(r.Properties?.Target).includes('HttpApiIntegrationProduce'))
        .map((r) => [r.Properties?.RouteKey as string, r.Properties as Record<string, unknown>]),
    );

  it('serves every route of the route table through the HTTP API, each with IAM authorisation by default, and no other', () => {
    const routes = produceRoutes(template);
    expect([...routes.keys()].sort()).toEqual(ROUTES.map(routeKeyOf).sort());
    for (const [key, route] of routes) {
      expect([key, route.AuthorizationType]).toEqual([key, 'AWS_IAM']);
      expect(route.Target).toEqual({ 'Fn::Join': ['/', ['integrations', { Ref: 'HttpApiIntegrationProduce' }]] });
    }
    expect(resource(template, 'HttpApiRoutePostTopicsTopicVar').RouteKey).toBe('POST /topics/{topic}');
    expect(resource(template, 'HttpApiIntegrationProduce').PayloadFormatVersion).toBe('2.0');
    // No route has throttling of its own: the stage's default (below) holds for all of them.
    expect(resource(template, 'HttpApiStage').RouteSettings).toBeUndefined();
  });

  it("lets API Gateway invoke produce through produce's routes only, not through a route added to the API later", () => {
    const permissions = Object.entries(template.Resources)
      .filter(([name, r]) => r.Type === 'AWS::Lambda::Permission' && name.startsWith('ProduceLambdaPermissionHttpApi'))
      .map(([, r]) => r.Properties as { SourceArn: { 'Fn::Sub': string }; FunctionName: unknown; Principal: string; Action: string });
    expect(permissions).toHaveLength(7);
    // What IAM's ArnLike matches after the API id: `*` stands for any characters, `/` included.
    const patterns = permissions.map((permission) => {
      expect(permission).toMatchObject({
        FunctionName: { 'Fn::GetAtt': ['ProduceLambdaFunction', 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
        Action: 'lambda:InvokeFunction',
      });
      const [, pattern] = /\$\{HttpApi\}\/(.*)$/.exec(permission.SourceArn['Fn::Sub']) ?? [];
      return new RegExp(
        `^${(pattern ?? '')
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
    });
    const invokes = (stage: string, method: string, path: string): boolean => patterns.some((pattern) => pattern.test(`${stage}/${method}${path}`));
    // Every route the template sends to produce, with its parameters filled in, as API Gateway names the call.
    for (const key of produceRoutes(template).keys()) {
      const [method = '', path = ''] = key.split(' ');
      expect(invokes('$default', method, path.replace(/\{[^}]+\}/g, 'events')), key).toBe(true);
    }
    expect(invokes('$default', 'DELETE', '/topics/events')).toBe(false);
    expect(invokes('$default', 'PUT', '/v3/clusters/c')).toBe(false);
    expect(invokes('$default', 'POST', '/admin')).toBe(false);
    expect(invokes('$default', 'GET', '/')).toBe(false);
    expect(invokes('$default', 'POST', '/')).toBe(false);
  });

  it('logs the path, user agent and every refusal in the HTTP API access log, and of the caller nothing that names a person', () => {
    const stage = template.Resources.HttpApiStage;
    const format = JSON.parse(stage?.Properties?.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toEqual({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      routeKey: '$context.routeKey',
      path: '$context.path',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      userAgent: '$context.identity.userAgent',
      errorMessage: '$context.error.message',
      authorizerError: '$context.authorizer.error',
      integrationErrorMessage: '$context.integrationErrorMessage',
      integrationStatus: '$context.integrationStatus',
      callerAccount: '$context.identity.accountId',
      jwtIssuer: '$context.authorizer.claims.iss',
    });
    // Not the principal's ARN, user or caller id (session names may be people's), nor the JWT
    // subject (may be an email): the function logs the caller's digest under the same requestId.
    expect(Object.values(format).join(' ')).not.toMatch(/identity\.(userArn|user|caller)\b|claims\.sub|header\.Authorization|accessKey/i);
  });

  it('uses a JWT authoriser on every route when produceAuthorizer=jwt', () => {
    for (const [key, route] of produceRoutes(selfManaged.template)) {
      expect([key, route.AuthorizationType, route.AuthorizerId, route.AuthorizationScopes]).toEqual([
        key,
        'JWT',
        { Ref: 'HttpApiAuthorizerJwt' },
        ['serverless-kafka-pipeline/produce'],
      ]);
    }
    expect(resource(selfManaged.template, 'HttpApiAuthorizerJwt').JwtConfiguration).toEqual({
      Audience: ['serverless-kafka-pipeline'],
      Issuer: 'https://issuer.example.com/',
    });
  });

  it('requires a scope of JWT callers by default (an ID token for the audience would pass otherwise); none with IAM', () => {
    expect(resource(selfManaged.template, 'HttpApiRoutePostTopicsTopicVar').AuthorizationScopes).toEqual(['serverless-kafka-pipeline/produce']);
    expect(resource(template, 'HttpApiRoutePostTopicsTopicVar').AuthorizationScopes).toBeUndefined();
  });

  it('takes the JWT scopes from a param, and drops the check only when told `none`', async () => {
    const jwt = ['--param=produceAuthorizer=jwt', '--param=jwtIssuerUrl=https://issuer.example.com/'];
    const scoped = await packageVariant(join(variantsDir, 'jwt-scopes'), [...jwt, '--param=jwtAuthorizationScopes=pipeline/produce, pipeline/admin']);
    expect(resource(scoped.template, 'HttpApiRoutePostTopicsTopicVar').AuthorizationScopes).toEqual(['pipeline/produce', 'pipeline/admin']);
    const unscoped = await packageVariant(join(variantsDir, 'jwt-no-scopes'), [...jwt, '--param=jwtAuthorizationScopes=none']);
    expect(resource(unscoped.template, 'HttpApiRoutePostTopicsTopicVar')).toMatchObject({ AuthorizationType: 'JWT' });
    expect(resource(unscoped.template, 'HttpApiRoutePostTopicsTopicVar').AuthorizationScopes).toBeUndefined();
  });

  it('refuses to package the JWT authoriser without an issuer: there is no default to trust', async () => {
    const failure = await packageVariant(join(variantsDir, 'jwt-no-issuer'), ['--param=produceAuthorizer=jwt']).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('param jwtIssuerUrl is required with produceAuthorizer=jwt');
  });

  it('throttles every route of the HTTP API stage by default, from params', () => {
    expect(resource(template, 'HttpApiStage').DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
  });

  it('has ALLOWED_TOPICS from its parameter and a timeout above the producer timeout', () => {
    const fn = resource(template, 'ProduceLambdaFunction');
    // By default the topic the stage's consumer reads (see 'stages').
    expect(fn.Environment.Variables.ALLOWED_TOPICS).toBe('events-dev');
    expect(fn.Environment.Variables.PRODUCE_TIMEOUT_MS).toBe('10000');
    expect(fn.Timeout).toBe(15);
    expect(fn.Timeout * 1000).toBeGreaterThan(Number(fn.Environment.Variables.PRODUCE_TIMEOUT_MS));
  });

  it('authenticates to MSK with IAM over TLS, or to a self-managed cluster with SCRAM from Secrets Manager', () => {
    expect(resource(template, 'ProduceLambdaFunction').Environment.Variables).toMatchObject({
      KAFKA_AUTH: 'aws-iam',
      KAFKA_SSL: 'true',
      KAFKA_BROKERS: 'b-1.example.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-2.example.abc123.c2.kafka.us-east-1.amazonaws.com:9098',
    });
    expect(resource(selfManaged.template, 'ProduceLambdaFunction').Environment.Variables).toMatchObject({
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SASL_SECRET_ARN: SCRAM_SECRET,
      KAFKA_CLIENT_CERT_SECRET_ARN: '',
      // kafkaCa=private: the produce function verifies the brokers with the root CA too.
      KAFKA_CA_SECRET_ARN: ROOT_CA_SECRET,
      KAFKA_BROKERS: 'kafka-1.example.net:9096,kafka-2.example.net:9096',
    });
    expect(resource(template, 'ProduceLambdaFunction').Environment.Variables).toMatchObject({
      KAFKA_SASL_SECRET_ARN: '',
      KAFKA_CLIENT_CERT_SECRET_ARN: '',
      KAFKA_CA_SECRET_ARN: '',
    });
  });

  it('authenticates to a self-managed cluster with client certificates from Secrets Manager when kafkaClientAuth=mtls', () => {
    const variables = (fn: string) => resource(selfManagedMtls.template, fn).Environment.Variables as Record<string, string>;
    expect(variables('ProduceLambdaFunction')).toMatchObject({
      KAFKA_AUTH: 'mtls',
      KAFKA_CLIENT_CERT_SECRET_ARN: CLIENT_CERT_SECRET,
      KAFKA_SASL_SECRET_ARN: '',
      KAFKA_CA_SECRET_ARN: '',
    });
    // The consume function names the mapping's certificate secret, never the producer's.
    expect(variables('ConsumeLambdaFunction')).toMatchObject({ KAFKA_AUTH: 'mtls', KAFKA_CLIENT_CERT_SECRET_ARN: CONSUME_CLIENT_CERT_SECRET });
    // Both functions' configurations load as they would at cold start.
    for (const fn of ['ProduceLambdaFunction', 'ConsumeLambdaFunction']) {
      const env = Object.fromEntries(Object.entries(variables(fn)).filter(([, value]) => typeof value === 'string'));
      const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: fn, CALLER_KEY: '', IDEMPOTENCY_TABLE: 'i', MESSAGES_TABLE: 'm' });
      expect(config.kafka).toMatchObject({ auth: 'mtls', ssl: true });
    }
    const esm = resource(selfManagedMtls.template, 'ConsumeEventSourceMappingKafkaEventsdev');
    expect(esm.SourceAccessConfigurations).toEqual([{ Type: 'CLIENT_CERTIFICATE_TLS_AUTH', URI: CONSUME_CLIENT_CERT_SECRET }]);
  });

  it('gives each role exactly its own client certificate secret with kafkaClientAuth=mtls, and no KMS or Kafka IAM action', () => {
    const secretStatements = iamStatements(selfManagedMtls.template).filter(({ statement }) => statement.Sid === 'KafkaSecrets');
    expect(secretStatements.map(({ role, statement }) => [role, statement]).sort()).toEqual([
      ['ConsumeRole', { Sid: 'KafkaSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: CONSUME_CLIENT_CERT_SECRET }],
      ['ProduceRole', { Sid: 'KafkaSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: CLIENT_CERT_SECRET }],
    ]);
    const text = JSON.stringify(iamStatements(selfManagedMtls.template));
    expect(text).not.toContain('kms:');
    expect(text).not.toContain('kafka-cluster:');
    expect(text).not.toContain(SCRAM_SECRET);
    expect(text).not.toContain(ROOT_CA_SECRET);
  });

  it('runs in the configured VPC subnets', () => {
    expect(resource(template, 'ProduceLambdaFunction').VpcConfig).toEqual({
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
    });
  });
});

describe('capacity', () => {
  const functions = ['ProduceLambdaFunction', 'ConsumeLambdaFunction'] as const;

  it('reserves concurrency for both functions by params: produce 50, consume 15', () => {
    expect(functions.map((fn) => resource(template, fn).ReservedConcurrentExecutions)).toEqual([50, 15]);
    expect(functions.map((fn) => resource(selfManaged.template, fn).ReservedConcurrentExecutions)).toEqual([20, 6]);
  });

  it('bounds produce by its reservation, not by what the throttling lets through while every request waits out its timeout', () => {
    const fn = resource(template, 'ProduceLambdaFunction');
    const { ThrottlingRateLimit } = resource(template, 'HttpApiStage').DefaultRouteSettings as { ThrottlingRateLimit: number };
    // 100 requests/s held for the 10 s producer timeout would be 1,000 instances: the default account limit.
    const throttlingBoundsTo = ThrottlingRateLimit * (Number(fn.Environment.Variables.PRODUCE_TIMEOUT_MS) / 1000);
    expect(throttlingBoundsTo).toBe(1000);
    expect(fn.ReservedConcurrentExecutions).toBeLessThan(throttlingBoundsTo / 10);
  });

  it('leaves the default account limit (1,000) its 100 unreserved instances, and consume about five instances per provisioned poller', () => {
    const reserved = functions.reduce((total, fn) => total + (resource(template, fn).ReservedConcurrentExecutions as number), 0);
    expect(reserved).toBeLessThanOrEqual(1000 - 100);
    const esm = resource(template, 'ConsumeEventSourceMappingMSKExampleEventsdev');
    // AWS sizes a provisioned poller at about 5 concurrent invocations.
    expect(resource(template, 'ConsumeLambdaFunction').ReservedConcurrentExecutions).toBeGreaterThanOrEqual(esm.ProvisionedPollerConfig.MaximumPollers * 5);
  });

  it('caps the on-demand throughput of both tables by params', () => {
    expect(resource(template, 'IdempotencyTable').OnDemandThroughput).toEqual({ MaxReadRequestUnits: 4000, MaxWriteRequestUnits: 4000 });
    expect(resource(template, 'MessagesTable').OnDemandThroughput).toEqual({ MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 4000 });
    expect(resource(selfManaged.template, 'MessagesTable').OnDemandThroughput).toEqual({ MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 500 });
  });
});

describe('consume event source mapping', () => {
  const provisionedMode = {
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
    MaximumRetryAttempts: 3,
    MaximumRecordAgeInSeconds: -1,
    BisectBatchOnFunctionError: false,
    // Lambda's own counts of filtered, dropped and dead-lettered records.
    MetricsConfig: { Metrics: ['EventCount', 'ErrorCount'] },
    DestinationConfig: { OnFailure: { Destination: 'kafka://events-dlq-dev' } },
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: 1,
    StartingPosition: 'TRIM_HORIZON',
    Topics: ['events-dev'],
  };

  it("reads the stage's MSK topic with every setting from deploy/event-source.json and provisioned mode", () => {
    const esm = resource(template, 'ConsumeEventSourceMappingMSKExampleEventsdev');
    expect(esm).toMatchObject(provisionedMode);
    expect(esm.EventSourceArn).toBe(CLUSTER);
    expect(esm.FunctionName).toEqual({ 'Fn::GetAtt': ['ConsumeLambdaFunction', 'Arn'] });
    expect(esm.AmazonManagedKafkaEventSourceConfig).toEqual({ ConsumerGroupId: 'consume-function-dev' });
    // MSK with IAM: the mapping authenticates with the function's role, no secret.
    expect(esm.SourceAccessConfigurations).toBeUndefined();
  });

  it('sets every setting of deploy/event-source.json on the mapping: filters, a window of 0, record age, bisection, pollers', () => {
    const esm = resource(tuned.template, 'ConsumeEventSourceMappingMSKExampleEventsdev');
    expect(esm).toMatchObject({
      // 0 reaches CloudFormation (the framework's own msk event drops it).
      MaximumBatchingWindowInSeconds: 0,
      MaximumRecordAgeInSeconds: 3_600,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 4 },
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:consume-failures' } },
      FilterCriteria: {
        Filters: [{ Pattern: '{"value":{"device_ID":[{"prefix":"AB"}]}}' }, { Pattern: '{"value":[{"prefix":"Hello"}]}' }],
      },
    });
    // Without patterns, no FilterCriteria at all.
    expect(resource(template, 'ConsumeEventSourceMappingMSKExampleEventsdev').FilterCriteria).toBeUndefined();
  });

  it('lets the consume role write its on-failure destination only: the dead-letter topic, or the SQS queue named', () => {
    const consumeStatements = (t: CfnTemplate) =>
      iamStatements(t)
        .filter(({ role }) => role === 'ConsumeRole')
        .map(({ statement }) => statement);
    expect(consumeStatements(tuned.template).find((statement) => statement.Sid === 'OnFailureQueue')).toEqual({
      Sid: 'OnFailureQueue',
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: 'arn:aws:sqs:us-east-1:123456789012:consume-failures',
    });
    // With an SQS destination the role may not write the dead-letter topic.
    expect(consumeStatements(tuned.template).some((statement) => statement.Sid === 'KafkaWriteDeadLetterTopic')).toBe(false);
    expect(JSON.stringify(consumeStatements(tuned.template))).not.toContain('events-dlq');
    // A self-managed cluster's mapping writes the dead-letter topic as its SCRAM user: no IAM statement for it.
    expect(iamStatements(selfManaged.template).some(({ statement }) => statement.Sid === 'KafkaWriteDeadLetterTopic')).toBe(false);
    expect(consumeStatements(template).some((statement) => String(statement.Sid).startsWith('OnFailure'))).toBe(false);
  });

  it('gives the consume function the timeout the local emulator assumes, long enough to outwait an abandoned lease', () => {
    const fn = resource(template, 'ConsumeLambdaFunction');
    expect(fn.Timeout).toBe(60);
    expect(DEFAULT_INVOCATION_TIMEOUT_MS).toBe(60_000);
    // The consume lease (30 s) must end before the handler stops waiting (5 s before the timeout).
    expect(fn.Environment.Variables).toMatchObject({ CONSUME_FUNCTION_TIMEOUT_SEC: '60', CONSUME_LEASE_MS: '30000' });
    const { CONSUME_FUNCTION_TIMEOUT_SEC, CONSUME_LEASE_MS } = fn.Environment.Variables as Record<string, string>;
    expect(loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC, CONSUME_LEASE_MS }).consume).toEqual({ functionTimeoutSec: 60, leaseMs: 30_000 });
    // Without CONSUME_LEASE_MS the lease is half the timeout.
    expect(loadConfig({ CONSUME_FUNCTION_TIMEOUT_SEC, CONSUME_LEASE_MS: '' }).consume.leaseMs).toBe(30_000);
  });

  it('reads a self-managed cluster with SCRAM, VPC and a private CA when kafkaSource=selfManaged', () => {
    const esm = resource(selfManaged.template, 'ConsumeEventSourceMappingKafkaEventsdev');
    expect(esm).toMatchObject(provisionedMode);
    expect(esm.SelfManagedEventSource).toEqual({ Endpoints: { KafkaBootstrapServers: ['kafka-1.example.net:9096', 'kafka-2.example.net:9096'] } });
    // The schema registry this variant names is checked under 'schema registry'.
    expect(esm.SelfManagedKafkaEventSourceConfig).toMatchObject({ ConsumerGroupId: 'consume-function-dev' });
    expect(esm.SourceAccessConfigurations).toEqual([
      // The mapping's own Kafka user, not the producer's.
      { Type: 'SASL_SCRAM_512_AUTH', URI: CONSUME_SCRAM_SECRET },
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-0123456789abcdef0' },
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-0fedcba9876543210' },
      { Type: 'VPC_SECURITY_GROUP', URI: 'security_group:sg-0123456789abcdef0' },
      { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: ROOT_CA_SECRET },
    ]);
    expect(selfManaged.template.Resources.ConsumeEventSourceMappingMSKExampleEventsdev).toBeUndefined();
  });
});

describe('schema registry', () => {
  const registryStatements = (t: CfnTemplate) =>
    iamStatements(t).filter(({ statement }) =>
      ['NoSchemaRegistry', 'SchemaRegistrySecret', 'SchemaRegistrySecrets', 'GlueSchemaRegistry'].includes(statement.Sid),
    );

  it('configures none by default: no SchemaRegistryConfig, empty variables, and no role may read a registry', () => {
    expect(resource(template, 'ConsumeEventSourceMappingMSKExampleEventsdev').AmazonManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: 'consume-function-dev',
    });
    expect(resource(template, 'ProduceLambdaFunction').Environment.Variables).toMatchObject({ SCHEMA_REGISTRY_URL: '', SCHEMA_REGISTRY_SECRET_ARN: '' });
    expect(resource(template, 'ConsumeLambdaFunction').Environment.Variables).toMatchObject({ SCHEMA_REGISTRY_URL: '', GLUE_SCHEMA_REGISTRY_ARN: '' });
    const nothing = { Sid: 'NoSchemaRegistry', Effect: 'Deny', Action: ['glue:GetSchemaVersion'], Resource: '*' };
    expect(registryStatements(template)).toEqual([
      { role: 'ProduceRole', statement: nothing },
      { role: 'ConsumeRole', statement: nothing },
    ]);
  });

  it('gives a Confluent-compatible registry to the mapping (access secrets, record format, validation) and to both functions, each role reading only the secrets it uses', () => {
    expect(resource(selfManaged.template, 'ConsumeEventSourceMappingKafkaEventsdev').SelfManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: 'consume-function-dev',
      SchemaRegistryConfig: {
        SchemaRegistryURI: 'https://registry.example.com',
        EventRecordFormat: 'JSON',
        AccessConfigs: [
          { Type: 'BASIC_AUTH', URI: REGISTRY_BASIC_SECRET },
          { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: REGISTRY_CA_SECRET },
        ],
        SchemaValidationConfigs: [{ Attribute: 'KEY' }, { Attribute: 'VALUE' }],
      },
    });
    for (const fn of ['ProduceLambdaFunction', 'ConsumeLambdaFunction']) {
      const variables = resource(selfManaged.template, fn).Environment.Variables as Record<string, string>;
      expect(variables).toMatchObject({ SCHEMA_REGISTRY_URL: 'https://registry.example.com', SCHEMA_REGISTRY_SECRET_ARN: REGISTRY_BASIC_SECRET });
      const strings = Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      expect(loadConfig({ ...strings, AWS_LAMBDA_FUNCTION_NAME: fn, CALLER_KEY: '' }).schemaRegistry).toEqual({
        url: 'https://registry.example.com',
        timeoutMs: 3000,
        credentials: { secretArn: REGISTRY_BASIC_SECRET, region: 'us-east-1' },
      });
    }
    expect(registryStatements(selfManaged.template)).toEqual([
      {
        role: 'ProduceRole',
        statement: { Sid: 'SchemaRegistrySecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: REGISTRY_BASIC_SECRET },
      },
      {
        role: 'ConsumeRole',
        statement: {
          Sid: 'SchemaRegistrySecrets',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [REGISTRY_BASIC_SECRET, REGISTRY_CA_SECRET],
        },
      },
    ]);
  });

  it('lets only the consume role read an AWS Glue registry, that registry and its schemas only', () => {
    expect(resource(prod, 'ConsumeEventSourceMappingMSKExampleEventsprod').AmazonManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: 'consume-function-prod',
      SchemaRegistryConfig: { SchemaRegistryURI: GLUE_REGISTRY, EventRecordFormat: 'SOURCE' },
    });
    expect(resource(prod, 'ConsumeLambdaFunction').Environment.Variables).toMatchObject({ GLUE_SCHEMA_REGISTRY_ARN: GLUE_REGISTRY, SCHEMA_REGISTRY_URL: '' });
    expect(resource(prod, 'ProduceLambdaFunction').Environment.Variables).toMatchObject({ SCHEMA_REGISTRY_URL: '' });
    expect(registryStatements(prod).filter(({ statement }) => statement.Effect === 'Allow')).toEqual([
      {
        role: 'ConsumeRole',
        statement: {
          Sid: 'GlueSchemaRegistry',
          Effect: 'Allow',
          Action: ['glue:GetRegistry', 'glue:GetSchemaVersion'],
          Resource: [GLUE_REGISTRY, 'arn:aws:glue:us-east-1:123456789012:schema/orders/*'],
        },
      },
    ]);
  });
});

describe('stages', () => {
  /** The names a stage's template gives Kafka: topics and group, in the mapping and in IAM. */
  function kafkaNames(t: CfnTemplate, stage: string) {
    const esm = resource(t, `ConsumeEventSourceMappingMSKExampleEvents${stage}`);
    const arns = iamStatements(t).flatMap(({ statement }) => asList<unknown>(statement.Resource).map((arn) => JSON.stringify(arn)));
    return {
      topics: esm.Topics,
      group: esm.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId,
      deadLetter: esm.DestinationConfig.OnFailure.Destination,
      allowedTopics: resource(t, 'ProduceLambdaFunction').Environment.Variables.ALLOWED_TOPICS,
      kafkaArns: arns.filter((arn) => /:(topic|group)\//.test(arn)).map((arn) => JSON.parse(arn) as string),
    };
  }

  it("gives two stages on one cluster their own consumer group and topics, so neither splits nor reads the other's partitions", () => {
    // Packaged from the same parameters apart from --stage.
    expect(kafkaNames(template, 'dev')).toEqual({
      topics: ['events-dev'],
      group: 'consume-function-dev',
      deadLetter: 'kafka://events-dlq-dev',
      allowedTopics: 'events-dev',
      kafkaArns: [`${TOPIC_PREFIX}/events-dev`, `${TOPIC_PREFIX}/events-dev`, `${GROUP_PREFIX}/consume-function-dev`, `${TOPIC_PREFIX}/events-dlq-dev`],
    });
    expect(kafkaNames(prod, 'prod')).toEqual({
      topics: ['events-prod'],
      group: 'consume-function-prod',
      deadLetter: 'kafka://events-dlq-prod',
      allowedTopics: 'events-prod',
      kafkaArns: [`${TOPIC_PREFIX}/events-prod`, `${TOPIC_PREFIX}/events-prod`, `${GROUP_PREFIX}/consume-function-prod`, `${TOPIC_PREFIX}/events-dlq-prod`],
    });
    // Nothing in one stage's template names the other's topics or group.
    expect(JSON.stringify(prod)).not.toMatch(/events-dev|consume-function-dev/);
    expect(JSON.stringify(template)).not.toMatch(/events-prod|consume-function-prod/);
  });

  it('keeps the stage out of the local names: the emulator reads deploy/event-source.json as it is', () => {
    expect(readEventSourceSettings()).toMatchObject({ topic: 'events', onFailureTopic: 'events-dlq', consumerGroupId: 'consume-function' });
  });
});

describe('tables', () => {
  it('creates the idempotency table on demand, with TTL on expiresAtEpochSec, PITR and encryption', () => {
    const table = resource(template, 'IdempotencyTable');
    expect(table).toMatchObject({
      TableName: 'serverless-kafka-pipeline-dev-idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAtEpochSec', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('creates the messages table keyed by messageId, on demand, with PITR', () => {
    expect(resource(template, 'MessagesTable')).toMatchObject({
      TableName: 'serverless-kafka-pipeline-dev-messages',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('keeps messages (the business data) by default; a TTL in days by param expires them', () => {
    expect(resource(template, 'MessagesTable').TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAtEpochSec', Enabled: false });
    expect(resource(template, 'ConsumeLambdaFunction').Environment.Variables.MESSAGES_TTL_DAYS).toBe('0');
    expect(resource(selfManaged.template, 'MessagesTable').TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAtEpochSec', Enabled: true });
    expect(resource(selfManaged.template, 'ConsumeLambdaFunction').Environment.Variables.MESSAGES_TTL_DAYS).toBe('30');
  });

  it('protects and retains both tables by default, whatever the stage is called; a stage opts out only by params', () => {
    for (const id of ['IdempotencyTable', 'MessagesTable']) {
      for (const stage of [template, prod]) {
        expect(resource(stage, id).DeletionProtectionEnabled).toBe(true);
        expect(stage.Resources[id]?.DeletionPolicy).toBe('Retain');
        expect(stage.Resources[id]?.UpdateReplacePolicy).toBe('Retain');
      }
      expect(resource(selfManaged.template, id).DeletionProtectionEnabled).toBe(false);
      expect(selfManaged.template.Resources[id]?.DeletionPolicy).toBe('Delete');
    }
  });

  it('passes the table names to both functions', () => {
    for (const fn of ['ProduceLambdaFunction', 'ConsumeLambdaFunction']) {
      expect(resource(template, fn).Environment.Variables).toMatchObject({
        IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' },
        MESSAGES_TABLE: { Ref: 'MessagesTable' },
      });
    }
  });
});

describe('IAM', () => {
  const dataAction = /^(dynamodb|kafka-cluster|kafka|secretsmanager|kms):/;

  it.each([
    ['default (MSK)', () => template],
    ['self-managed', () => selfManaged.template],
    ['self-managed with mTLS', () => selfManagedMtls.template],
  ])('%s: no data action is allowed on a wildcard resource', (_, pick) => {
    const statements = iamStatements(pick());
    expect(statements.length).toBeGreaterThan(0);
    for (const { role, statement } of statements) {
      if (statement.Effect !== 'Allow' || !asList<string>(statement.Action).some((action) => dataAction.test(action))) continue;
      for (const target of asList<unknown>(statement.Resource)) {
        expect(JSON.stringify(target), `${role} ${statement.Sid}`).not.toContain('*');
      }
    }
  });

  it.each([
    ['default (MSK)', () => template],
    ['self-managed', () => selfManaged.template],
  ])('%s: no EC2 action but Describe* is allowed on a wildcard resource', (_, pick) => {
    for (const { role, statement } of iamStatements(pick())) {
      const writes = asList<string>(statement.Action).filter((action) => action.startsWith('ec2:') && !action.startsWith('ec2:Describe'));
      if (statement.Effect !== 'Allow' || writes.length === 0) continue;
      expect(asList<unknown>(statement.Resource), `${role} ${statement.Sid}`).not.toContain('*');
    }
  });

  describe('network interfaces', () => {
    const ec2 = (kind: string, id: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${kind}/${id}` });
    const anyInterface = ec2('network-interface', '*');
    const functionSubnets = [ec2('subnet', 'subnet-0123456789abcdef0'), ec2('subnet', 'subnet-0fedcba9876543210')];
    const functionSecurityGroup = ec2('security-group', 'sg-0123456789abcdef0');
    const clusterSubnets = [ec2('subnet', 'subnet-0c1a2b3c4d5e6f701'), ec2('subnet', 'subnet-0c1a2b3c4d5e6f702')];
    const clusterSecurityGroup = ec2('security-group', 'sg-0c1a2b3c4d5e6f703');
    const networkStatements = (t: CfnTemplate, role: string) =>
      (resource(t, role).Policies as { PolicyName: string; PolicyDocument: { Statement: Record<string, any>[] } }[])
        .filter(({ PolicyName }) => PolicyName.endsWith('-network'))
        .flatMap(({ PolicyDocument }) => PolicyDocument.Statement);

    it('lets produce create its interfaces only in its own subnets with its own security groups, and manage only those', () => {
      expect(networkStatements(template, 'ProduceRole')).toEqual([
        // Describe* support no resource-level permissions.
        { Sid: 'NetworkInterfacesDescribe', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
        {
          Sid: 'NetworkInterfacesCreate',
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [anyInterface, ...functionSubnets, functionSecurityGroup],
        },
        {
          Sid: 'NetworkInterfacesManage',
          Effect: 'Allow',
          Action: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          Resource: anyInterface,
          Condition: { ArnEquals: { 'ec2:Subnet': functionSubnets } },
        },
      ]);
    });

    it("lets the MSK event source mapping create its interfaces only in the cluster's subnets with the cluster's security groups, as AWSLambdaMSKExecutionRole does otherwise", () => {
      expect(networkStatements(template, 'ConsumeRole')).toEqual([
        {
          Sid: 'NetworkInterfacesDescribe',
          Effect: 'Allow',
          Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
          Resource: '*',
        },
        {
          Sid: 'NetworkInterfacesCreate',
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [anyInterface, ...clusterSubnets, clusterSecurityGroup],
        },
        // No Assign/UnassignPrivateIpAddresses: the mapping does not need them.
        {
          Sid: 'NetworkInterfacesDelete',
          Effect: 'Allow',
          Action: ['ec2:DeleteNetworkInterface'],
          Resource: anyInterface,
          Condition: { ArnEquals: { 'ec2:Subnet': clusterSubnets } },
        },
      ]);
    });

    it("places a self-managed cluster's event source mapping in subnetIds with securityGroupIds", () => {
      const [, create, remove] = networkStatements(selfManaged.template, 'ConsumeRole');
      expect(create?.Resource).toEqual([anyInterface, ...functionSubnets, functionSecurityGroup]);
      expect(remove?.Condition).toEqual({ ArnEquals: { 'ec2:Subnet': functionSubnets } });
    });
  });

  it('gives each function its own role and no shared default role', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(resource(template, 'ProduceLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['ProduceRole', 'Arn'] });
    expect(resource(template, 'ConsumeLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['ConsumeRole', 'Arn'] });
  });

  it('lets produce write only to the allowed topics, and reach only the idempotency table', () => {
    const statements = Object.fromEntries(
      iamStatements(template)
        .filter(({ role }) => role === 'ProduceRole')
        .map(({ statement }) => [statement.Sid, statement]),
    );
    expect(statements.KafkaConnect).toMatchObject({
      Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
      Resource: CLUSTER,
    });
    expect(statements.KafkaWriteAllowedTopics).toMatchObject({
      // Describing the allowed topics' configuration is what GET /topics/{topic} needs beyond producing.
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeTopicDynamicConfiguration', 'kafka-cluster:WriteData'],
      Resource: [`${TOPIC_PREFIX}/events-dev`],
    });
    expect(statements.IdempotencyRecords).toEqual({
      Sid: 'IdempotencyRecords',
      Effect: 'Allow',
      // Only what produce's use of lib/idempotency/dynamo-store.ts calls (it never deletes a
      // key), and only on produce's own keys.
      Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      Resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['produce:*'] } },
    });
    const resources = JSON.stringify(iamStatements(template).filter(({ role }) => role === 'ProduceRole'));
    expect(resources).not.toContain('MessagesTable');
  });

  it('lets the consume role read its topic and group, write the dead-letter topic, and write the sink', () => {
    const statements = Object.fromEntries(
      iamStatements(template)
        .filter(({ role }) => role === 'ConsumeRole')
        .map(({ statement }) => [statement.Sid, statement]),
    );
    expect(statements.MskEventSourceCluster).toMatchObject({ Action: ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'], Resource: CLUSTER });
    expect(statements.KafkaReadTopic).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      Resource: `${TOPIC_PREFIX}/events-dev`,
    });
    expect(statements.KafkaConsumerGroup).toMatchObject({
      Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      Resource: `${GROUP_PREFIX}/consume-function-dev`,
    });
    expect(statements.KafkaWriteDeadLetterTopic).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      Resource: `${TOPIC_PREFIX}/events-dlq-dev`,
    });
    expect(statements.SinkWrites).toMatchObject({
      Action: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      Resource: { 'Fn::GetAtt': ['MessagesTable', 'Arn'] },
    });
    expect(statements.IdempotencyRecords).toEqual({
      Sid: 'IdempotencyRecords',
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
      Resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['consume:*'] } },
    });
  });

  it('uses key prefixes in the roles that match the keys the code writes', () => {
    expect(produceIdempotencyKey('sha256:ab', 'events', 'k')).toMatch(/^produce:/);
    expect(consumeIdempotencyKey('consume-function', 'm-1')).toMatch(/^consume:/);
  });

  it('grants no DynamoDB action the code never calls', () => {
    const actions = iamStatements(template)
      .flatMap(({ statement }) => asList<string>(statement.Action))
      .filter((action) => action.startsWith('dynamodb:'));
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      // The rate limit's counters (lib/dynamo/request-counter.ts).
      'dynamodb:UpdateItem',
    ]);
  });

  it('gives produce and the consume event source mapping separate SCRAM secrets, each role reading only its own', () => {
    const secretStatements = iamStatements(selfManaged.template).filter(
      ({ statement }) =>
        asList<string>(statement.Action).includes('secretsmanager:GetSecretValue') &&
        statement.Sid !== 'CallerKeySecret' &&
        !statement.Sid.startsWith('SchemaRegistry'),
    );
    expect(secretStatements.map(({ role }) => role).sort()).toEqual(['ConsumeRole', 'ProduceRole']);
    expect(secretStatements.find(({ role }) => role === 'ProduceRole')?.statement.Resource).toEqual([SCRAM_SECRET, ROOT_CA_SECRET]);
    expect(secretStatements.find(({ role }) => role === 'ConsumeRole')?.statement.Resource).toEqual([CONSUME_SCRAM_SECRET, ROOT_CA_SECRET]);
    // The function that handles untrusted records names the producer's secret nowhere: not in its role, not in its environment.
    const consumeSide = JSON.stringify([selfManaged.template.Resources.ConsumeRole, selfManaged.template.Resources.ConsumeLambdaFunction]);
    expect(consumeSide).not.toContain(SCRAM_SECRET);
    expect(resource(selfManaged.template, 'ConsumeLambdaFunction').Environment.Variables.KAFKA_SASL_SECRET_ARN).toBe(CONSUME_SCRAM_SECRET);
  });

  it("decrypts with the SCRAM secrets' key only through Secrets Manager and only for the role's own secret", () => {
    const keyStatements = iamStatements(selfManaged.template).filter(({ statement }) => asList<string>(statement.Action).includes('kms:Decrypt'));
    expect(keyStatements.map(({ role }) => role).sort()).toEqual(['ConsumeRole', 'ProduceRole']);
    const ownSecret: Record<string, string> = { ProduceRole: SCRAM_SECRET, ConsumeRole: CONSUME_SCRAM_SECRET };
    for (const { role, statement } of keyStatements) {
      expect(statement).toEqual({
        Sid: 'KafkaScramSecretKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
        Condition: {
          StringEquals: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, meant literally.
            'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' },
            // Secrets Manager's encryption context names the secret being decrypted.
            'kms:EncryptionContext:SecretARN': ownSecret[role],
          },
        },
      });
    }
    expect(JSON.stringify(iamStatements(template))).not.toContain('kms:');
    expect(JSON.stringify(iamStatements(selfManaged.template))).not.toContain('kafka-cluster:');
  });

  it("refuses to package a self-managed stage whose consumer would share the producer's SCRAM secret or client certificate", async () => {
    const failure = await packageVariant(join(variantsDir, 'shared-secret'), [
      '--param=kafkaSource=selfManaged',
      `--param=kafkaConsumeSaslSecretArn=${SCRAM_SECRET}`,
    ]).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('param kafkaConsumeSaslSecretArn must name a secret of its own');
    const shared = await packageVariant(join(variantsDir, 'shared-certificate'), [
      '--param=kafkaSource=selfManaged',
      '--param=kafkaClientAuth=mtls',
      `--param=kafkaConsumeClientCertSecretArn=${CLIENT_CERT_SECRET}`,
    ]).catch((error: unknown) => error as Error);
    expect((shared as Error).message).toContain(
      "param kafkaConsumeClientCertSecretArn must name a secret of its own, not the producer's kafkaClientCertSecretArn",
    );
  });
});

describe('callers: their keys, their rate and who may produce', () => {
  it('gives both functions the caller key secret, and each role that one secret only', () => {
    for (const t of [template, selfManaged.template]) {
      for (const fn of ['ProduceLambdaFunction', 'ConsumeLambdaFunction']) {
        expect(resource(t, fn).Environment.Variables.CALLER_KEY_SECRET_ARN).toBe(CALLER_KEYS_SECRET);
      }
      const statements = iamStatements(t).filter(({ statement }) => statement.Sid === 'CallerKeySecret');
      expect(statements.map(({ role }) => role).sort()).toEqual(['ConsumeRole', 'ProduceRole']);
      for (const { statement } of statements) {
        expect(statement).toEqual({ Sid: 'CallerKeySecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: CALLER_KEYS_SECRET });
      }
    }
    // No other statement reaches it.
    const others = iamStatements(template).filter(({ statement }) => statement.Sid !== 'CallerKeySecret');
    expect(JSON.stringify(others)).not.toContain(CALLER_KEYS_SECRET);
  });

  it("lets produce update only the rate limit's counters, and consume not at all", () => {
    const statements = iamStatements(template).filter(({ statement }) => asList<string>(statement.Action).includes('dynamodb:UpdateItem'));
    expect(statements).toEqual([
      {
        role: 'ProduceRole',
        statement: {
          Sid: 'RateLimitCounters',
          Effect: 'Allow',
          Action: ['dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ratelimit:*'] } },
        },
      },
    ]);
    expect(rateLimitKey('sha256:ab', 1)).toMatch(/^ratelimit:/);
  });

  it('passes the rate limit, the session-name rule and the allow-list to produce, and they parse as a Lambda configuration', () => {
    const variables = resource(template, 'ProduceLambdaFunction').Environment.Variables as Record<string, unknown>;
    expect(variables).toMatchObject({
      PRODUCE_RATE_LIMIT_PER_SEC: '20',
      CALLER_SESSION_NAME_TRUSTED: 'false',
      PRODUCE_ALLOWED_PRINCIPALS: '',
      PRODUCE_ALLOWED_ORG_ID: '',
    });
    const strings = Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const config = loadConfig({ ...strings, AWS_LAMBDA_FUNCTION_NAME: 'produce', CALLER_KEY: '' });
    expect(config.produce.rateLimitPerSec).toBe(20);
    expect(config.produce.callers).toEqual({ allowAnonymous: false, trustSessionNames: false });
    expect(config.callerKeys).toEqual({ secretArn: CALLER_KEYS_SECRET, region: 'us-east-1' });
  });
});

describe('validation and scanning', () => {
  it.each([
    ['default', () => packaged.templatePath],
    ['self-managed', () => selfManaged.templatePath],
    ['tuned (filters, SQS destination)', () => tuned.templatePath],
    ['self-managed with mTLS', () => selfManagedMtls.templatePath],
  ])('cfn-lint finds no errors or warnings in the %s template', async (_, path) => {
    // W3005: the framework adds DependsOn on the role next to a GetAtt of it; redundant, not wrong.
    const result = await run(templateToolPath('cfn-lint'), ['--ignore-checks', 'W3005', '--', path()]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  });

  it('checkov finds nothing that is not fixed or explained', async () => {
    const result = await run(templateToolPath('checkov'), [
      '--file',
      packaged.templatePath,
      '--framework',
      'cloudformation',
      '--skip-download',
      '--compact',
      '--output',
      'json',
    ]);
    const report = JSON.parse(result.stdout) as {
      summary: { passed: number; failed: number; skipped: number };
      results: {
        failed_checks: { check_id: string; resource: string }[];
        skipped_checks: { check_id: string; resource: string; check_result: { suppress_comment: string } }[];
      };
    };
    process.stderr.write(`[deploy] checkov: ${JSON.stringify(report.summary)}\n`);
    expect(result.stderr).toBe('');
    expect(report.results.failed_checks.map(({ check_id, resource }) => `${check_id} ${resource}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(30);
    // Every accepted finding, each with its reason (docs/deploy.md explains them too).
    expect(report.results.skipped_checks.map(({ check_id, resource }) => `${check_id} ${resource}`).sort()).toEqual([
      'CKV_AWS_111 AWS::IAM::Role.ConsumeRole',
      'CKV_AWS_111 AWS::IAM::Role.ProduceRole',
      'CKV_AWS_116 AWS::Lambda::Function.ConsumeLambdaFunction',
      'CKV_AWS_116 AWS::Lambda::Function.ProduceLambdaFunction',
      'CKV_AWS_117 AWS::Lambda::Function.ConsumeLambdaFunction',
      'CKV_AWS_119 AWS::DynamoDB::Table.IdempotencyTable',
      'CKV_AWS_119 AWS::DynamoDB::Table.MessagesTable',
      'CKV_AWS_158 AWS::Logs::LogGroup.ConsumeLogGroup',
      'CKV_AWS_158 AWS::Logs::LogGroup.HttpApiLogGroup',
      'CKV_AWS_158 AWS::Logs::LogGroup.ProduceLogGroup',
      'CKV_AWS_173 AWS::Lambda::Function.ConsumeLambdaFunction',
      'CKV_AWS_173 AWS::Lambda::Function.ProduceLambdaFunction',
      'CKV_AWS_18 AWS::S3::Bucket.ServerlessDeploymentBucket',
    ]);
    for (const skipped of report.results.skipped_checks) {
      expect(skipped.check_result.suppress_comment.length, skipped.check_id).toBeGreaterThan(40);
    }
  });
});

describe('bundles against the local broker and store', () => {
  // The template's caller key secret, answered with test keys (the bundles read it as in Lambda).
  let callerKeys: SecretsStandIn;
  beforeAll(async () => {
    callerKeys = await startSecretsStandIn({ [CALLER_KEYS_SECRET]: TEST_KEY_RING_TEXT });
  });
  afterAll(() => callerKeys?.close());

  /** The function's environment as the template defines it, pointed at the local services. */
  function lambdaEnvironment(t: CfnTemplate, fn: string, overrides: Record<string, string>): Record<string, string> {
    const properties = resource(t, fn);
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties.Environment.Variables as Record<string, unknown>)) {
      if (typeof value === 'string') environment[name] = value;
    }
    return {
      ...environment,
      AWS_LAMBDA_FUNCTION_NAME: properties.FunctionName,
      AWS_REGION: 'us-east-1',
      KAFKA_BROKERS: testBrokers().join(','),
      KAFKA_AUTH: 'none',
      KAFKA_SSL: 'false',
      DYNAMODB_ENDPOINT: testDynamoEndpoint(),
      ...callerKeys.env,
      ...overrides,
    };
  }

  it('the produce bundle answers a produce request with the broker-acknowledged offset', async () => {
    const topic = await createTestTopic('deploy-produce', 1);
    const config = testConfig();
    await createTestTables(config);
    const env = lambdaEnvironment(template, 'ProduceLambdaFunction', {
      ALLOWED_TOPICS: topic,
      IDEMPOTENCY_TABLE: config.tables.idempotency,
      MESSAGES_TABLE: config.tables.messages,
    });
    const event = asCaller(
      httpEvent({
        path: `/topics/${topic}`,
        pathParameters: { topic },
        // With an Idempotency-Key, so the lazily loaded store chunk is exercised too.
        headers: { 'content-type': 'application/vnd.kafka.json.v2+json', 'idempotency-key': 'bundle-key-1' },
        body: JSON.stringify({ records: [{ key: 'k-1', value: { hello: 'bundle' } }] }),
      }),
      // In Lambda a request without an authenticated caller is refused.
      iamAuthorizer('arn:aws:iam::123456789012:user/bundle', 'AIDAEXAMPLEBUNDLE'),
    );
    const invocation = await invokeBundle('produce', env, event);
    process.stderr.write(`[deploy] produce bundle cold start ${invocation.coldStartMs.toFixed(0)} ms (process wall ${invocation.wallMs.toFixed(0)} ms)\n`);
    const response = invocation.response as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [{ partition: 0, offset: 0, error_code: null, error: null }],
    });
    const admin = testKafka().admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '1', high: '1', low: '0' }]);
    } finally {
      await admin.disconnect();
    }
    const { Items = [] } = await testDynamo().send(new ScanCommand({ TableName: config.tables.idempotency, ConsistentRead: true }));
    expect(Items.filter((item) => item.id?.S?.startsWith('produce:')).map((item) => item.status?.S)).toEqual(['COMPLETED']);
    // The template's rate limit is on: the request was counted, once, under its caller.
    expect(Items.filter((item) => item.id?.S?.startsWith('ratelimit:')).map((item) => item.requests?.N)).toEqual(['1']);
    // The caller keys were read from the template's secret, once.
    expect(callerKeys.requests.filter((request) => request.secretId === CALLER_KEYS_SECRET).length).toBeGreaterThanOrEqual(1);
  });

  it('a bundle with a missing variable fails at cold start naming it, its stack mapped to the TypeScript source', async () => {
    const env = lambdaEnvironment(template, 'ConsumeLambdaFunction', {});
    delete env.KAFKA_BROKERS;
    const failure = await invokeBundle('consume', env, {}).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('ConfigError: KAFKA_BROKERS: is required');
    // NODE_OPTIONS=--enable-source-maps from the template maps the minified frames back.
    expect((failure as Error).message).toMatch(/lib\/config\.ts:\d+:\d+/);
  });

  it('the produce bundle reads its SCRAM secret from Secrets Manager on demand, once', async () => {
    const topic = await createTestTopic('deploy-scram', 1);
    const config = testConfig();
    await createTestTables(config);
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_pipeline-AbCdEf';
    const secrets = await startSecretsStandIn({ [secretArn]: '{"username":"u","password":"p"}', [CALLER_KEYS_SECRET]: TEST_KEY_RING_TEXT });
    try {
      const env = lambdaEnvironment(template, 'ProduceLambdaFunction', {
        ALLOWED_TOPICS: topic,
        IDEMPOTENCY_TABLE: config.tables.idempotency,
        MESSAGES_TABLE: config.tables.messages,
        KAFKA_AUTH: 'scram-sha-512',
        KAFKA_SASL_SECRET_ARN: secretArn,
        // Lambda refuses SCRAM without TLS; the local broker has no TLS listener, so the send fails after the secret is read.
        KAFKA_SSL: 'true',
        PRODUCE_TIMEOUT_MS: '2000',
        ...secrets.env,
      });
      const event = asCaller(
        httpEvent({
          path: `/topics/${topic}`,
          pathParameters: { topic },
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ records: [{ value: 1 }] }),
        }),
        iamAuthorizer('arn:aws:iam::123456789012:user/bundle', 'AIDAEXAMPLEBUNDLE'),
      );
      const response = (await invokeBundle('produce', env, event)).response as { statusCode: number };
      // The caller keys (to stamp the records), then the SCRAM credentials (to connect): each read once.
      expect(secrets.requests).toEqual([
        { target: 'secretsmanager.GetSecretValue', secretId: CALLER_KEYS_SECRET, signed: true },
        { target: 'secretsmanager.GetSecretValue', secretId: secretArn, signed: true },
      ]);
      // The local broker has no SASL listener, so the produce itself cannot succeed.
      expect(response.statusCode).not.toBe(200);
    } finally {
      await secrets.close();
    }
  });

  it('the MSK IAM signer, loaded on demand from a bundle chunk, signs a token', async () => {
    // Bundled exactly as the functions are; the produce bundle reaches this code only against
    // an MSK cluster, which the local broker is not.
    const outdir = join(variantsDir, 'auth-bundle');
    await build({ ...BUNDLE_BUILD_OPTIONS, entryPoints: { index: join(ROOT, 'lib/kafka/auth.ts') }, outdir, logLevel: 'error' });
    const script = `const { awsKafkaAuthProviders } = await import(process.argv[1]);
const { token } = await awsKafkaAuthProviders.signIamToken('eu-west-1');
const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
process.stdout.write(url.host + ' ' + url.searchParams.get('Action'));`;
    const result = await run(process.execPath, ['--input-type=module', '--eval', script, pathToFileURL(join(outdir, 'index.mjs')).href], {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    });
    expect(result.stdout).toBe('kafka.eu-west-1.amazonaws.com kafka-cluster:Connect');
    expect(result.code).toBe(0);
  });

  it('the consume bundle processes an MSK event and writes the sink item exactly as the contract says', async () => {
    const config = testConfig();
    await createTestTables(config);
    const env = lambdaEnvironment(template, 'ConsumeLambdaFunction', {
      ALLOWED_TOPICS: 'events',
      IDEMPOTENCY_TABLE: config.tables.idempotency,
      MESSAGES_TABLE: config.tables.messages,
      // As a stage with messagesTtlDays=30 sets it.
      MESSAGES_TTL_DAYS: '30',
    });
    const invokedAtSec = Math.floor(Date.now() / 1000);
    const event = kafkaEvent([{ topic: 'events', partition: 2, offset: 41, key: 'k-9', value: { n: 41 }, headers: { 'message-id': 'bundle-msg-1' } }]);
    const invocation = await invokeBundle('consume', env, event);
    process.stderr.write(`[deploy] consume bundle cold start ${invocation.coldStartMs.toFixed(0)} ms (process wall ${invocation.wallMs.toFixed(0)} ms)\n`);
    expect(invocation.response).toEqual({ batchItemFailures: [] });
    // The template's Powertools settings reach the bundle: its batch log line and its metrics.
    expect(invocation.stdoutJson.find((line) => line.message === 'consume batch')).toMatchObject({
      level: 'INFO',
      service: 'serverless-kafka-pipeline-consume',
      function_request_id: 'bundle-test',
      correlation_id: 'events-2@41',
      processed: 1,
    });
    const emf = invocation.stdoutJson.find((line) => line.RecordsProcessed !== undefined);
    expect(emf).toMatchObject({ service: 'serverless-kafka-pipeline-consume', RecordsReceived: 1, RecordsProcessed: 1, RecordsFailed: 0 });
    expect(emf?._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'KafkaPipeline' }] });
    const { Item } = await testDynamo().send(
      new GetItemCommand({ TableName: config.tables.messages, Key: { messageId: { S: 'bundle-msg-1' } }, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({
      messageId: { S: 'bundle-msg-1' },
      topic: { S: 'events' },
      partition: { N: '2' },
      offset: { N: '41' },
      key: { S: 'k-9' },
      value: { M: { n: { N: '41' } } },
    });
    // 30 days after it was written.
    const expiresAtEpochSec = Number(Item?.expiresAtEpochSec?.N);
    expect(expiresAtEpochSec - invokedAtSec).toBeGreaterThanOrEqual(2_592_000);
    expect(expiresAtEpochSec - invokedAtSec).toBeLessThan(2_592_000 + 60);
  });
});
