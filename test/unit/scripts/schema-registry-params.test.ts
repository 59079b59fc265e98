import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { schemaRegistrySettings } = require('../../../scripts/schema-registry-params.cjs') as {
  schemaRegistrySettings(params: Record<string, string>): {
    mapping: Record<string, unknown>;
    environment: Record<string, string>;
    statements: { produce: Record<string, unknown>[]; consume: Record<string, unknown>[] };
  };
};

const BASIC = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-basic-AbCdEf';
const CA = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-ca-GhIjKl';
const NOTHING = { Sid: 'NoSchemaRegistry', Effect: 'Deny', Action: ['glue:GetSchemaVersion'], Resource: '*' };

describe('schemaRegistrySettings', () => {
  it('adds nothing while schemaRegistryUri is empty', () => {
    expect(schemaRegistrySettings({ schemaRegistryUri: '', schemaRegistryRecordFormat: 'SOURCE' })).toEqual({
      mapping: {},
      environment: { SCHEMA_REGISTRY_URL: '', SCHEMA_REGISTRY_SECRET_ARN: '', GLUE_SCHEMA_REGISTRY_ARN: '' },
      statements: { produce: [NOTHING], consume: [NOTHING] },
    });
  });

  it('configures a Confluent-compatible registry with its access secrets, each role reading only what it uses', () => {
    const settings = schemaRegistrySettings({
      schemaRegistryUri: 'https://registry.example.com',
      schemaRegistryBasicAuthSecretArn: BASIC,
      schemaRegistryRootCaSecretArn: CA,
      schemaRegistryRecordFormat: 'JSON',
      schemaRegistryValidation: 'value, KEY',
    });
    expect(settings.mapping).toEqual({
      SchemaRegistryConfig: {
        SchemaRegistryURI: 'https://registry.example.com',
        EventRecordFormat: 'JSON',
        AccessConfigs: [
          { Type: 'BASIC_AUTH', URI: BASIC },
          { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: CA },
        ],
        SchemaValidationConfigs: [{ Attribute: 'VALUE' }, { Attribute: 'KEY' }],
      },
    });
    expect(settings.environment).toEqual({
      SCHEMA_REGISTRY_URL: 'https://registry.example.com',
      SCHEMA_REGISTRY_SECRET_ARN: BASIC,
      GLUE_SCHEMA_REGISTRY_ARN: '',
    });
    expect(settings.statements).toEqual({
      produce: [{ Sid: 'SchemaRegistrySecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: BASIC }],
      consume: [{ Sid: 'SchemaRegistrySecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [BASIC, CA] }],
    });
  });

  it('configures an AWS Glue registry: GetRegistry and GetSchemaVersion on that registry and its schemas, for consume only', () => {
    const settings = schemaRegistrySettings({ schemaRegistryUri: 'arn:aws:glue:eu-west-1:123456789012:registry/orders', schemaRegistryRecordFormat: 'SOURCE' });
    expect(settings.mapping).toEqual({
      SchemaRegistryConfig: { SchemaRegistryURI: 'arn:aws:glue:eu-west-1:123456789012:registry/orders', EventRecordFormat: 'SOURCE' },
    });
    expect(settings.environment.GLUE_SCHEMA_REGISTRY_ARN).toBe('arn:aws:glue:eu-west-1:123456789012:registry/orders');
    expect(settings.statements).toEqual({
      produce: [NOTHING],
      consume: [
        {
          Sid: 'GlueSchemaRegistry',
          Effect: 'Allow',
          Action: ['glue:GetRegistry', 'glue:GetSchemaVersion'],
          Resource: ['arn:aws:glue:eu-west-1:123456789012:registry/orders', 'arn:aws:glue:eu-west-1:123456789012:schema/orders/*'],
        },
      ],
    });
  });

  it.each([
    [{ schemaRegistryUri: 'http://registry.example.com' }, 'is neither an https:// URL'],
    [{ schemaRegistryUri: 'https://r.example.com', schemaRegistryBasicAuthSecretArn: 'registry-secret' }, 'is not a Secrets Manager secret ARN'],
    [
      { schemaRegistryUri: 'arn:aws:glue:eu-west-1:123456789012:registry/orders', schemaRegistryBasicAuthSecretArn: BASIC },
      'leave the schemaRegistry*SecretArn params empty',
    ],
    [{ schemaRegistryUri: 'https://r.example.com', schemaRegistryRecordFormat: 'AVRO' }, 'must be JSON or SOURCE'],
    [{ schemaRegistryUri: 'https://r.example.com', schemaRegistryValidation: 'HEADERS' }, 'lists KEY and VALUE only'],
    [
      { schemaRegistryUri: 'https://r.example.com', schemaRegistryBasicAuthSecretArn: BASIC, schemaRegistryClientCertificateSecretArn: CA },
      'not both: the registry is signed in to one way',
    ],
  ])('refuses %j', (params, message) => {
    expect(() => schemaRegistrySettings(params)).toThrow(message);
  });
});
