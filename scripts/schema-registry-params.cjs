/**
 * The schema registry of a stage, from its params: the event source mapping's
 * SchemaRegistryConfig, the functions' environment and the IAM statements each role needs, all
 * empty (today's deploy unchanged) while param schemaRegistryUri is empty. Pure, so that a unit
 * test checks each rule; scripts/package-variables.cjs hands the results to serverless.yml.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
 */
'use strict';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/;
const GLUE_REGISTRY_ARN = /^arn:(aws[a-z-]*):glue:([a-z0-9-]+):(\d{12}):registry\/([\w.-]+)$/;

/** A placeholder statement for a role that needs nothing of a registry: a policy must hold one. */
const NOTHING = { Sid: 'NoSchemaRegistry', Effect: 'Deny', Action: ['glue:GetSchemaVersion'], Resource: '*' };

function secret(value, name) {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  if (!SECRET_ARN.test(text)) throw new Error(`param ${name} "${text}" is not a Secrets Manager secret ARN`);
  return text;
}

/**
 * @param {Record<string, unknown>} params - schemaRegistryUri, schemaRegistryBasicAuthSecretArn,
 *   schemaRegistryClientCertificateSecretArn, schemaRegistryRootCaSecretArn,
 *   schemaRegistryRecordFormat (JSON or SOURCE), schemaRegistryValidation (comma list of KEY, VALUE).
 * @returns the mapping's `SchemaRegistryConfig` (under `mapping`, to go into its Kafka source
 *   config), the functions' environment, and each role's statements:
 *   {{ mapping: Record<string, unknown>, environment: Record<string, string>, statements: { produce: object[], consume: object[] } }}
 */
function schemaRegistrySettings(params) {
  const uri = String(params.schemaRegistryUri ?? '').trim();
  const none = {
    mapping: {},
    environment: { SCHEMA_REGISTRY_URL: '', SCHEMA_REGISTRY_SECRET_ARN: '', GLUE_SCHEMA_REGISTRY_ARN: '' },
    statements: { produce: [NOTHING], consume: [NOTHING] },
  };
  if (uri === '') return none;
  const glue = GLUE_REGISTRY_ARN.exec(uri);
  if (glue === null && !/^https:\/\/\S+$/.test(uri)) {
    throw new Error(`param schemaRegistryUri "${uri}" is neither an https:// URL of a Confluent-compatible registry nor an AWS Glue registry ARN`);
  }
  const basicAuth = secret(params.schemaRegistryBasicAuthSecretArn, 'schemaRegistryBasicAuthSecretArn');
  const clientCertificate = secret(params.schemaRegistryClientCertificateSecretArn, 'schemaRegistryClientCertificateSecretArn');
  const rootCa = secret(params.schemaRegistryRootCaSecretArn, 'schemaRegistryRootCaSecretArn');
  if (glue !== null && (basicAuth ?? clientCertificate ?? rootCa) !== undefined) {
    throw new Error('an AWS Glue schema registry is reached with the consume role (IAM): leave the schemaRegistry*SecretArn params empty');
  }
  // Lambda takes at most two access configs: one way to sign in, and a root CA.
  if (basicAuth !== undefined && clientCertificate !== undefined) {
    throw new Error('give schemaRegistryBasicAuthSecretArn or schemaRegistryClientCertificateSecretArn, not both: the registry is signed in to one way');
  }
  const format = String(params.schemaRegistryRecordFormat ?? 'SOURCE').trim();
  if (format !== 'JSON' && format !== 'SOURCE') throw new Error(`param schemaRegistryRecordFormat must be JSON or SOURCE, got "${format}"`);
  const attributes = String(params.schemaRegistryValidation ?? '')
    .split(',')
    .map((item) => item.trim().toUpperCase())
    .filter((item) => item !== '');
  for (const attribute of attributes) {
    if (attribute !== 'KEY' && attribute !== 'VALUE') throw new Error(`param schemaRegistryValidation lists KEY and VALUE only, got "${attribute}"`);
  }
  const accessConfigs = [
    ...(basicAuth === undefined ? [] : [{ Type: 'BASIC_AUTH', URI: basicAuth }]),
    ...(clientCertificate === undefined ? [] : [{ Type: 'CLIENT_CERTIFICATE_TLS_AUTH', URI: clientCertificate }]),
    ...(rootCa === undefined ? [] : [{ Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: rootCa }]),
  ];
  const mapping = {
    SchemaRegistryConfig: {
      SchemaRegistryURI: uri,
      EventRecordFormat: format,
      ...(accessConfigs.length === 0 ? {} : { AccessConfigs: accessConfigs }),
      ...(attributes.length === 0 ? {} : { SchemaValidationConfigs: [...new Set(attributes)].map((Attribute) => ({ Attribute })) }),
    },
  };
  if (glue !== null) {
    const [, partition, region, account, name] = glue;
    return {
      mapping,
      environment: { SCHEMA_REGISTRY_URL: '', SCHEMA_REGISTRY_SECRET_ARN: '', GLUE_SCHEMA_REGISTRY_ARN: uri },
      statements: {
        produce: [NOTHING],
        // The mapping reads the registry and its schema versions with the consume role, and so
        // does the function for records framed for Glue; this registry and its schemas only.
        consume: [
          {
            Sid: 'GlueSchemaRegistry',
            Effect: 'Allow',
            Action: ['glue:GetRegistry', 'glue:GetSchemaVersion'],
            Resource: [uri, `arn:${partition}:glue:${region}:${account}:schema/${name}/*`],
          },
        ],
      },
    };
  }
  const consumeSecrets = [basicAuth, clientCertificate, rootCa].filter((value) => value !== undefined);
  return {
    mapping,
    environment: { SCHEMA_REGISTRY_URL: uri, SCHEMA_REGISTRY_SECRET_ARN: basicAuth ?? '', GLUE_SCHEMA_REGISTRY_ARN: '' },
    statements: {
      // The produce function signs in with basic auth only (lib/schema/registry-client.ts).
      produce:
        basicAuth === undefined
          ? [NOTHING]
          : [{ Sid: 'SchemaRegistrySecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: basicAuth }],
      // The mapping reads every access secret with the consume role; the function the basic auth one.
      consume:
        consumeSecrets.length === 0
          ? [NOTHING]
          : [{ Sid: 'SchemaRegistrySecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: consumeSecrets }],
    },
  };
}

module.exports = { schemaRegistrySettings };
