/**
 * Values serverless.yml derives from its parameters, which the framework's variables cannot
 * compute by themselves: Kafka topic and group ARNs for IAM (built from the cluster ARN) and
 * the logical id of the generated event source mapping, which `resources.extensions` needs
 * as a key. Loaded by `${file(./scripts/package-variables.cjs):<name>}` (CommonJS, because
 * the framework `require`s variable files).
 */
'use strict';

const { schemaRegistrySettings } = require('./schema-registry-params.cjs');

/**
 * Splits an MSK cluster ARN, `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_apachekafkaapisforamazonmskclusters.html
 */
function parseClusterArn(arn) {
  const match = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/.exec(String(arn));
  if (!match) throw new Error(`param kafkaClusterArn "${arn}" is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`);
  const [, partition, region, account, name, uuid] = match;
  return { partition, region, account, name, uuid };
}

/** `arn:...:<kind>/<cluster name>/<cluster uuid>/<name>`, the form kafka-cluster IAM actions use for topics and groups. */
function dataPlaneArn(cluster, kind, name) {
  return `arn:${cluster.partition}:kafka:${cluster.region}:${cluster.account}:${kind}/${cluster.name}/${cluster.uuid}/${name}`;
}

/** Logical ids as the framework names them (lib/plugins/aws/lib/naming.js): alphanumerics, first letter upper case. */
function normalize(name) {
  const alphanumeric = String(name).replace(/[^0-9A-Za-z]/g, '');
  return alphanumeric.charAt(0).toUpperCase() + alphanumeric.slice(1);
}

function eventSourceMappingLogicalId(kafkaSource, clusterArn, topic) {
  if (kafkaSource === 'msk') {
    const { name } = parseClusterArn(clusterArn);
    return `ConsumeEventSourceMappingMSK${normalize(name).slice(0, 79)}${normalize(topic).slice(0, 79)}`;
  }
  if (kafkaSource === 'selfManaged') return `ConsumeEventSourceMappingKafka${normalize(topic).slice(0, 158)}`;
  throw new Error(`param kafkaSource must be "msk" or "selfManaged", got "${kafkaSource}"`);
}

/** A param that must be a positive number (`integer`: a whole one); packaging fails naming it otherwise. */
async function positiveNumber(resolveVariable, name, integer) {
  const value = Number(await resolveVariable(`param:${name}`));
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`param ${name} must be a positive ${integer ? 'whole number' : 'number'}`);
  }
  return value;
}

/**
 * The stage's default route throttling from params httpApiThrottlingRateLimit (requests per
 * second) and httpApiThrottlingBurstLimit; the framework's HTTP API settings have no key for it.
 */
async function stageThrottling(resolveVariable) {
  return {
    ThrottlingRateLimit: await positiveNumber(resolveVariable, 'httpApiThrottlingRateLimit', false),
    ThrottlingBurstLimit: await positiveNumber(resolveVariable, 'httpApiThrottlingBurstLimit', true),
  };
}

/** What an IAM ArnLike pattern matches, as a regular expression: `*` any characters, `/` included. */
function arnLike(pattern) {
  const literal = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`);
}

/**
 * The mapping's Kafka source config with the schema registry in it, where CloudFormation wants
 * it (AmazonManagedKafkaEventSourceConfig or SelfManagedKafkaEventSourceConfig); whole, since
 * extensions replace a property rather than merge into it. Nothing without a registry.
 */
function kafkaSourceConfig(kafkaSource, consumerGroupId, registry) {
  if (registry.SchemaRegistryConfig === undefined) return {};
  const name = kafkaSource === 'msk' ? 'AmazonManagedKafkaEventSourceConfig' : 'SelfManagedKafkaEventSourceConfig';
  return { [name]: { ConsumerGroupId: consumerGroupId, SchemaRegistryConfig: registry.SchemaRegistryConfig } };
}

/** The schema registry params, as given. */
async function schemaRegistryParams(resolveVariable) {
  const names = [
    'schemaRegistryUri',
    'schemaRegistryBasicAuthSecretArn',
    'schemaRegistryClientCertificateSecretArn',
    'schemaRegistryRootCaSecretArn',
    'schemaRegistryRecordFormat',
    'schemaRegistryValidation',
  ];
  const values = await Promise.all(names.map((name) => resolveVariable(`param:${name}`)));
  const params = Object.fromEntries(names.map((name, index) => [name, values[index]]));
  // The record format and the validated attributes default to deploy/event-source.json's
  // schemaRegistry block, which the local emulator honours too.
  const fromFile = (await resolveVariable('file(./deploy/event-source.json)')).schemaRegistry ?? {};
  if (String(params.schemaRegistryRecordFormat ?? '').trim() === '') params.schemaRegistryRecordFormat = fromFile.eventRecordFormat ?? 'SOURCE';
  if (String(params.schemaRegistryValidation ?? '').trim() === '') params.schemaRegistryValidation = (fromFile.schemaValidation ?? []).join(',');
  return params;
}

/**
 * The number of invoke permissions serverless.yml declares beside the framework's own
 * (`ProduceLambdaPermissionHttpApiRoutes<n>`): one per route pattern no other pattern covers,
 * since one permission holds one source ARN.
 */
const EXTRA_INVOKE_PERMISSIONS = 6;

/**
 * The source ARNs of the produce function's invoke permissions: `<api>/<stage>/<METHOD>/<path>`
 * for its routes, with any stage and path parameters as wildcards, instead of the framework's
 * `<api>/<anything>`, which would let any route added to the API later (in the console, say)
 * invoke the function. Routes another route's pattern covers share it; the first ARN goes to
 * the framework's permission, each other one to a permission of its own, and packaging fails
 * when serverless.yml declares another number of them.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
 */
async function produceInvokeSourceArns(resolveVariable) {
  const events = (await resolveVariable('self:functions.produce.events')) ?? [];
  const patterns = [
    ...new Set(
      events
        .filter((event) => event.httpApi !== undefined)
        .map(({ httpApi }) => {
          // `httpApi: 'POST /path'` or `httpApi: { method, path }`.
          const [method, path] = typeof httpApi === 'string' ? httpApi.trim().split(/\s+/) : [httpApi.method, httpApi.path];
          const verb = String(method).toUpperCase();
          return `${verb === 'ANY' || verb === '*' ? '*' : verb}${String(path).replace(/\{[^}]+\}/g, '*')}`;
        }),
    ),
  ];
  const needed = patterns.filter((pattern) => !patterns.some((other) => other !== pattern && arnLike(other).test(pattern)));
  if (needed.length !== EXTRA_INVOKE_PERMISSIONS + 1)
    throw new Error(
      `the produce function's routes need ${needed.length} invoke permission patterns (${needed.join(', ')}); serverless.yml declares ${EXTRA_INVOKE_PERMISSIONS + 1}: give each its own ProduceLambdaPermissionHttpApiRoutes<n>`,
    );
  return needed.map((pattern) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${HttpApi}/*/${pattern}` }));
}

/**
 * deploy/event-source.json's topic, dead-letter topic and consumer group with the stage
 * appended (`events-dev`), as deployed: a consumer group is the unit Kafka splits a topic's
 * partitions over, so two stages sharing one would each see part of the records, and two
 * stages sharing a topic would consume each other's. The local runtime uses the names as
 * they are; the stage exists only when deploying.
 */
async function stageEventSource(resolveVariable) {
  const stage = String(await resolveVariable('sls:stage'));
  // Kafka topic names: at most 249 of [a-zA-Z0-9._-]; the longest name here must fit too.
  if (!/^[A-Za-z0-9._-]+$/.test(stage)) throw new Error(`stage "${stage}" cannot be part of a Kafka topic name: use letters, digits, ".", "_" and "-"`);
  const settings = await resolveVariable('file(./deploy/event-source.json)');
  const names = {
    topic: `${settings.topic}-${stage}`,
    onFailureTopic: `${settings.onFailureTopic}-${stage}`,
    consumerGroupId: `${settings.consumerGroupId}-${stage}`,
  };
  if (names.onFailureTopic.length > 249 || names.topic.length > 249)
    throw new Error(`stage "${stage}" makes the topic names longer than Kafka's 249 characters`);
  return names;
}

/**
 * The on-failure destination from param onFailureDestination: `kafka` (the stage's dead-letter
 * topic, `kafka://<topic>`), or the ARN of an SQS queue, SNS topic or S3 bucket
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html). Returns the destination
 * and the statements the consume role needs for it, least privilege, on that resource only.
 */
async function onFailure(resolveVariable) {
  const param = String(await resolveVariable('param:onFailureDestination'));
  if (param === 'kafka') {
    const kafkaSource = await resolveVariable('param:kafkaSource');
    const { onFailureTopic } = await stageEventSource(resolveVariable);
    // A self-managed cluster's mapping writes with its SCRAM user, which Kafka's ACLs govern, not IAM.
    const statements =
      kafkaSource === 'msk'
        ? [
            {
              Sid: 'KafkaWriteDeadLetterTopic',
              Effect: 'Allow',
              Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
              Resource: dataPlaneArn(await cluster(resolveVariable), 'topic', onFailureTopic),
            },
          ]
        : [];
    return { destination: `kafka://${onFailureTopic}`, statements };
  }
  const match = /^arn:aws[a-z-]*:(sqs|sns|s3):[^:]*:[^:]*:([^:/]+)$/.exec(param);
  if (!match) throw new Error(`param onFailureDestination must be "kafka" or the ARN of an SQS queue, SNS topic or S3 bucket, got "${param}"`);
  const [, service] = match;
  if (service === 'sqs') return { destination: param, statements: [{ Sid: 'OnFailureQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: param }] };
  if (service === 'sns') return { destination: param, statements: [{ Sid: 'OnFailureTopic', Effect: 'Allow', Action: ['sns:Publish'], Resource: param }] };
  return {
    destination: param,
    statements: [
      { Sid: 'OnFailureBucketObjects', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${param}/*` },
      { Sid: 'OnFailureBucketList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: param },
    ],
  };
}

/**
 * The mapping's FilterCriteria from deploy/event-source.json's filterPatterns: each pattern a
 * JSON string, as CloudFormation takes it; undefined without patterns (no filtering).
 */
async function filterCriteria(resolveVariable) {
  const settings = await resolveVariable('file(./deploy/event-source.json)');
  const patterns = settings.filterPatterns ?? [];
  return patterns.length === 0 ? undefined : { Filters: patterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) };
}

/**
 * How the functions and the consume event source mapping authenticate, and which secret each
 * reads. MSK: IAM, no secret. Self-managed, by param kafkaClientAuth: `scram` (SASL/SCRAM-SHA-512
 * over TLS; kafkaSaslSecretArn and kafkaConsumeSaslSecretArn) or `mtls` (client certificates;
 * kafkaClientCertSecretArn and kafkaConsumeClientCertSecretArn). Each side has a secret of its own,
 * so that the function handling untrusted records cannot read the producer's credentials;
 * packaging fails when both name one. With kafkaCa=private both read the root CA
 * (kafkaRootCaSecretArn) to verify the brokers.
 */
async function kafkaSecrets(resolveVariable) {
  const none = { sasl: '', clientCert: '', ca: '' };
  if ((await resolveVariable('param:kafkaSource')) !== 'selfManaged') return { auth: 'aws-iam', produce: none, consume: none };
  const mode = String(await resolveVariable('param:kafkaClientAuth')).trim();
  if (mode !== 'scram' && mode !== 'mtls') throw new Error(`param kafkaClientAuth must be "scram" or "mtls", got "${mode}"`);
  const kafkaCa = String(await resolveVariable('param:kafkaCa')).trim();
  if (kafkaCa !== 'public' && kafkaCa !== 'private') throw new Error(`param kafkaCa must be "public" or "private", got "${kafkaCa}"`);
  const [produceParam, consumeParam] =
    mode === 'scram' ? ['kafkaSaslSecretArn', 'kafkaConsumeSaslSecretArn'] : ['kafkaClientCertSecretArn', 'kafkaConsumeClientCertSecretArn'];
  const produce = String(await resolveVariable(`param:${produceParam}`)).trim();
  const consume = String(await resolveVariable(`param:${consumeParam}`)).trim();
  if (consume === produce) {
    throw new Error(
      `param ${consumeParam} must name a secret of its own, not the producer's ${produceParam}: the consume function must not read the producer's ${mode === 'scram' ? 'password' : 'private key'}`,
    );
  }
  const ca = kafkaCa === 'private' ? String(await resolveVariable('param:kafkaRootCaSecretArn')).trim() : '';
  const side = (secret) => (mode === 'scram' ? { sasl: secret, clientCert: '', ca } : { sasl: '', clientCert: secret, ca });
  return { auth: mode === 'scram' ? 'scram-sha-512' : 'mtls', produce: side(produce), consume: side(consume) };
}

async function cluster(resolveVariable) {
  return parseClusterArn(await resolveVariable('param:kafkaClusterArn'));
}

module.exports = {
  parseClusterArn,
  eventSourceMappingLogicalId,

  /** The deployed topic, dead-letter topic and consumer group: `{ topic, onFailureTopic, consumerGroupId }`. */
  stageEventSource: async ({ resolveVariable }) => stageEventSource(resolveVariable),

  /**
   * The JWT authorizer's issuer, param jwtIssuerUrl. It has no default: a placeholder issuer
   * would trust tokens from whoever controls it, so packaging with produceAuthorizer=jwt and
   * no issuer fails here, naming the param.
   */
  jwtIssuerUrl: async ({ resolveVariable }) => {
    const authorizer = await resolveVariable('param:produceAuthorizer');
    const issuer = String((await resolveVariable('param:jwtIssuerUrl')) ?? '').trim();
    if (authorizer === 'jwt' && !/^https:\/\/\S+$/.test(issuer)) {
      throw new Error(
        'param jwtIssuerUrl is required with produceAuthorizer=jwt: the https URL of the OpenID Connect issuer whose tokens the API accepts (there is no default); pass --param="jwtIssuerUrl=https://…"',
      );
    }
    return issuer;
  },

  /**
   * The produce route's JWT authorizer with param jwtAuthorizationScopes (comma list) as its
   * scopes, or none when the param is `none` (the CLI refuses an empty `--param` value) or empty.
   * Each must be an OAuth scope token (RFC 6749 3.3: printable ASCII without space, `"` or
   * backslash); packaging fails naming the param otherwise.
   */
  jwtRouteAuthorizer: async ({ resolveVariable }) => {
    const value = String((await resolveVariable('param:jwtAuthorizationScopes')) ?? '').trim();
    const scopes = (value.toLowerCase() === 'none' ? '' : value)
      .split(',')
      .map((scope) => scope.trim())
      .filter(Boolean);
    const invalid = scopes.find((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope));
    if (invalid !== undefined) throw new Error(`param jwtAuthorizationScopes: "${invalid}" is not an OAuth scope`);
    return scopes.length === 0 ? { name: 'jwt' } : { name: 'jwt', scopes };
  },

  /**
   * Param deletionProtection as a boolean: `--param` values arrive as text, and "false" must
   * not become a truthy string in the template. Anything but true/false fails packaging.
   */
  deletionProtection: async ({ resolveVariable }) => {
    const value = String(await resolveVariable('param:deletionProtection'))
      .trim()
      .toLowerCase();
    if (value !== 'true' && value !== 'false') throw new Error(`param deletionProtection must be true or false, got "${value}"`);
    return value === 'true';
  },

  /** Param tableDeletionPolicy, checked: Retain (the default) or Delete (a throwaway stage's explicit opt-out). */
  tableDeletionPolicy: async ({ resolveVariable }) => {
    const value = String(await resolveVariable('param:tableDeletionPolicy')).trim();
    if (value !== 'Retain' && value !== 'Delete') throw new Error(`param tableDeletionPolicy must be Retain or Delete, got "${value}"`);
    return value;
  },

  /**
   * Params produceReservedConcurrency and consumeReservedConcurrency as whole numbers (a
   * `--param` value arrives as text, which the framework's schema refuses for reservedConcurrency).
   */
  reservedConcurrency: async ({ resolveVariable }) => ({
    produce: await positiveNumber(resolveVariable, 'produceReservedConcurrency', true),
    consume: await positiveNumber(resolveVariable, 'consumeReservedConcurrency', true),
  }),

  /**
   * Each table's OnDemandThroughput from params <table>TableMaxReadRequestUnits and
   * <table>TableMaxWriteRequestUnits, whole numbers of request units a second.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-table-ondemandthroughput.html
   */
  onDemandThroughput: async ({ resolveVariable }) => {
    const caps = async (table) => ({
      MaxReadRequestUnits: await positiveNumber(resolveVariable, `${table}TableMaxReadRequestUnits`, true),
      MaxWriteRequestUnits: await positiveNumber(resolveVariable, `${table}TableMaxWriteRequestUnits`, true),
    });
    return { idempotency: await caps('idempotency'), messages: await caps('messages') };
  },

  /**
   * Param messagesTtlDays, a whole number of days (0: no expiry): the consume function's
   * MESSAGES_TTL_DAYS (as text, like every environment value), and the messages table's TTL on the attribute deploy/tables.json names,
   * switched on only when items carry an expiry.
   */
  messagesTtl: async ({ resolveVariable }) => {
    const days = Number(await resolveVariable('param:messagesTtlDays'));
    if (!Number.isInteger(days) || days < 0) throw new Error('param messagesTtlDays must be a whole number of days (0: messages never expire)');
    const attribute = await resolveVariable('file(./deploy/tables.json):messages.TimeToLiveAttribute');
    return { days: String(days), specification: { AttributeName: attribute, Enabled: days > 0 } };
  },

  /**
   * The Kafka authentication of the stage and the secrets each side reads (see kafkaSecrets):
   * `{ auth, produce: { sasl, clientCert, ca }, consume: { ... } }`, empty strings where none applies.
   */
  kafkaSecrets: async ({ resolveVariable }) => kafkaSecrets(resolveVariable),

  /**
   * What each role may read of those secrets, that and nothing more: GetSecretValue on its own
   * secret (and the root CA's with kafkaCa=private), and for SCRAM, whose secrets MSK's format
   * requires a customer managed key for (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html),
   * kms:Decrypt with that key only through Secrets Manager and only for its own secret: Secrets
   * Manager names the secret in the encryption context of every Decrypt
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
   * Client certificate secrets may use Secrets Manager's AWS managed key, which needs no statement.
   * `{ produce: [statements], consume: [statements] }`; empty lists for MSK (IAM, no secret).
   */
  kafkaSecretStatements: async ({ resolveVariable }) => {
    const secrets = await kafkaSecrets(resolveVariable);
    if (secrets.auth === 'aws-iam') return { produce: [], consume: [] };
    const kmsKey = String(await resolveVariable('param:kafkaSaslSecretKmsKeyArn')).trim();
    const statements = ({ sasl, clientCert, ca }) => {
      const own = sasl || clientCert;
      const list = [{ Sid: 'KafkaSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ca === '' ? own : [own, ca] }];
      if (sasl !== '') {
        list.push({
          Sid: 'KafkaScramSecretKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: kmsKey,
          Condition: {
            StringEquals: {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, meant literally.
              'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' },
              'kms:EncryptionContext:SecretARN': sasl,
            },
          },
        });
      }
      return list;
    };
    return { produce: statements(secrets.produce), consume: statements(secrets.consume) };
  },

  /**
   * The self-managed event source mapping's accessConfigurations: its own SCRAM secret
   * (SASL_SCRAM_512_AUTH) or client certificate secret (CLIENT_CERTIFICATE_TLS_AUTH), the VPC
   * with network=vpc, and the root CA (SERVER_ROOT_CA_CERTIFICATE) with kafkaCa=private.
   * https://docs.aws.amazon.com/lambda/latest/dg/kafka-cluster-auth.html
   */
  eventSourceAccess: async ({ resolveVariable }) => {
    const secrets = await kafkaSecrets(resolveVariable);
    const { sasl, clientCert, ca } = secrets.consume;
    const vpc = (await resolveVariable('param:network')) === 'vpc';
    return {
      ...(secrets.auth === 'mtls' ? { clientCertificateTlsAuth: [clientCert] } : { saslScram512Auth: [sasl] }),
      ...(vpc ? { vpcSubnet: await resolveVariable('param:subnetIds'), vpcSecurityGroup: await resolveVariable('param:securityGroupIds') } : {}),
      ...(ca === '' ? {} : { serverRootCaCertificate: [ca] }),
    };
  },

  /**
   * ARNs for the network-interface statements: `produce` from params subnetIds and
   * securityGroupIds; `consume` (the event source mapping's) from kafkaClusterSubnetIds and
   * kafkaClusterSecurityGroupIds for MSK, else from subnetIds and securityGroupIds. Each has
   * `subnets`, and `create`: any new interface, the subnets and the security groups, the
   * resources CreateNetworkInterface authorizes. A param may be a list or a comma list.
   */
  networkArns: async ({ resolveVariable }) => {
    const ec2Arn = (kind, id) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${kind}/${id}` });
    const ids = async (name, prefix) => {
      const value = await resolveVariable(`param:${name}`);
      const list = (Array.isArray(value) ? value : String(value).split(',')).map((id) => String(id).trim()).filter(Boolean);
      const invalid = list.find((id) => !new RegExp(`^${prefix}-[0-9a-f]+$`).test(id));
      if (list.length === 0 || invalid !== undefined) throw new Error(`param ${name} must list ${prefix}-… ids, got ${JSON.stringify(value)}`);
      return list;
    };
    const networkInterfaces = ec2Arn('network-interface', '*');
    const placement = async (subnetsParam, securityGroupsParam) => {
      const subnets = (await ids(subnetsParam, 'subnet')).map((id) => ec2Arn('subnet', id));
      const securityGroups = (await ids(securityGroupsParam, 'sg')).map((id) => ec2Arn('security-group', id));
      return { subnets, create: [networkInterfaces, ...subnets, ...securityGroups] };
    };
    const msk = (await resolveVariable('param:kafkaSource')) === 'msk';
    return {
      networkInterfaces,
      produce: await placement('subnetIds', 'securityGroupIds'),
      consume: msk ? await placement('kafkaClusterSubnetIds', 'kafkaClusterSecurityGroupIds') : await placement('subnetIds', 'securityGroupIds'),
    };
  },

  /** Bootstrap brokers of param kafkaBrokers (comma list) as a list, for the self-managed event source. */
  brokerList: async ({ resolveVariable }) =>
    String(await resolveVariable('param:kafkaBrokers'))
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),

  /** The cluster ARN itself, as the kafka-cluster:Connect resource. */
  clusterArn: async ({ resolveVariable }) => {
    const parsed = await cluster(resolveVariable);
    return `arn:${parsed.partition}:kafka:${parsed.region}:${parsed.account}:cluster/${parsed.name}/${parsed.uuid}`;
  },

  /** Topic ARNs the produce function may write to: one per entry of param allowedTopics. */
  produceTopicArns: async ({ resolveVariable }) => {
    const parsed = await cluster(resolveVariable);
    const topics = String(await resolveVariable('param:allowedTopics'))
      .split(',')
      .map((topic) => topic.trim())
      .filter(Boolean);
    return topics.map((topic) => dataPlaneArn(parsed, 'topic', topic));
  },

  /** The ARN of the stage's consumed topic. */
  consumeTopicArn: async ({ resolveVariable }) => dataPlaneArn(await cluster(resolveVariable), 'topic', (await stageEventSource(resolveVariable)).topic),

  /** The mapping's on-failure destination: `kafka://<dead-letter topic>` or the ARN param onFailureDestination names. */
  onFailureDestination: async ({ resolveVariable }) => (await onFailure(resolveVariable)).destination,

  /** The consume role's Kafka statements for its kafkaSource, plus what its on-failure destination needs. */
  consumeKafkaStatements: async ({ resolveVariable }) => {
    const kafkaSource = await resolveVariable('param:kafkaSource');
    const base = await resolveVariable(`self:custom.iam.consumeKafka.${kafkaSource}`);
    return [...base, ...(await onFailure(resolveVariable)).statements];
  },

  /** The ARN of the stage's consumer group. */
  consumerGroupArn: async ({ resolveVariable }) =>
    dataPlaneArn(await cluster(resolveVariable), 'group', (await stageEventSource(resolveVariable)).consumerGroupId),

  /**
   * `resources.extensions`: the provisioned-mode properties of the one event source mapping the
   * chosen kafkaSource generates, and checkov's accepted findings on framework-generated resources.
   */
  /** The stage's schema registry (scripts/schema-registry-params.cjs): mapping config, environment, IAM statements. */
  schemaRegistry: async ({ resolveVariable }) => schemaRegistrySettings(await schemaRegistryParams(resolveVariable)),

  /** The invoke permissions of the produce function's routes beyond the first, by position from 1. */
  produceExtraInvokePermissions: async ({ resolveVariable }) =>
    Object.fromEntries(
      (await produceInvokeSourceArns(resolveVariable)).slice(1).map((sourceArn, index) => [
        String(index + 1),
        {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            FunctionName: { 'Fn::GetAtt': ['ProduceLambdaFunction', 'Arn'] },
            Action: 'lambda:InvokeFunction',
            Principal: 'apigateway.amazonaws.com',
            SourceArn: sourceArn,
          },
        },
      ]),
    ),
  extensions: async ({ resolveVariable }) => {
    const kafkaSource = await resolveVariable('param:kafkaSource');
    const clusterArn = kafkaSource === 'msk' ? await resolveVariable('param:kafkaClusterArn') : undefined;
    const { topic, consumerGroupId } = await stageEventSource(resolveVariable);
    const filters = await filterCriteria(resolveVariable);
    const properties = {
      ...(await resolveVariable('self:custom.eventSourceMapping.properties')),
      ...(filters === undefined ? {} : { FilterCriteria: filters }),
    };
    const skips = await resolveVariable('self:custom.checkov');
    const checkov = (...lists) => ({ Metadata: { checkov: { skip: lists.flat() } } });
    return {
      [eventSourceMappingLogicalId(kafkaSource, clusterArn, topic)]: {
        Properties: {
          ...properties,
          ...kafkaSourceConfig(kafkaSource, consumerGroupId, schemaRegistrySettings(await schemaRegistryParams(resolveVariable)).mapping),
        },
      },
      HttpApiStage: { Properties: { DefaultRouteSettings: await stageThrottling(resolveVariable) } },
      ProduceLambdaPermissionHttpApi: { Properties: { SourceArn: (await produceInvokeSourceArns(resolveVariable))[0] } },
      ProduceLambdaFunction: checkov(skips.functionCommon),
      ConsumeLambdaFunction: checkov(skips.functionCommon, skips.consumeFunction),
      ProduceLogGroup: checkov(skips.logGroup),
      ConsumeLogGroup: checkov(skips.logGroup),
      HttpApiLogGroup: checkov(skips.logGroup),
      ServerlessDeploymentBucket: checkov(skips.deploymentBucket),
    };
  },
};
