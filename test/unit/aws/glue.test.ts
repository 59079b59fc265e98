import { GetSchemaVersionCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { getGlueSchemaVersion } from '../../../lib/aws/glue';
import { SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { createGlueSchemaSource } from '../../../lib/schema/glue-registry';

const glue = mockClient(GlueClient);
afterEach(() => glue.reset());

describe('AWS Glue schema versions', () => {
  it('reads a version by its id, once per container', async () => {
    glue
      .on(GetSchemaVersionCommand, { SchemaVersionId: 'a1b2c3d4-5678-90ab-cdef-1234567890ab' })
      .resolves({ DataFormat: 'AVRO', SchemaDefinition: '"string"' });
    const source = createGlueSchemaSource('eu-west-1', getGlueSchemaVersion);
    expect(await source.schemaVersion('a1b2c3d4-5678-90ab-cdef-1234567890ab')).toEqual({
      schemaVersionId: 'a1b2c3d4-5678-90ab-cdef-1234567890ab',
      format: 'AVRO',
      schema: '"string"',
    });
    await source.schemaVersion('a1b2c3d4-5678-90ab-cdef-1234567890ab');
    expect(glue.commandCalls(GetSchemaVersionCommand)).toHaveLength(1);
  });

  it('tells an unknown version from a Glue that cannot answer, and asks again after a failure', async () => {
    const notFound = Object.assign(new Error('Schema version is not found.'), { name: 'EntityNotFoundException' });
    glue.on(GetSchemaVersionCommand).rejectsOnce(notFound).rejectsOnce(new Error('Rate exceeded')).resolves({ DataFormat: 'JSON', SchemaDefinition: '{}' });
    const source = createGlueSchemaSource('eu-west-1', getGlueSchemaVersion);
    await expect(source.schemaVersion('00000000-0000-0000-0000-000000000000')).rejects.toThrow(
      new SchemaNotFoundError('Glue schema version 00000000-0000-0000-0000-000000000000 does not exist'),
    );
    await expect(source.schemaVersion('00000000-0000-0000-0000-000000000000')).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
    expect((await source.schemaVersion('00000000-0000-0000-0000-000000000000')).format).toBe('JSON');
  });
});
