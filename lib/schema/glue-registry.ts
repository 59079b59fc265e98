/**
 * Schemas of records framed for the AWS Glue Schema Registry, fetched by schema version id
 * once per container (while among the most recently used). An id Glue does not know is {@link SchemaNotFoundError}; any other
 * failure (no answer, throttling, missing permission) is {@link SchemaRegistryUnavailableError},
 * retriable, with Glue's own error kept in the cause for the log.
 */
import { SchemaNotFoundError, SchemaRegistryUnavailableError } from '../errors';
import { BoundedCache, SCHEMA_CACHE_ENTRIES } from './bounded-cache';
import { schemaFormatOf, type SchemaFormat } from './format';

/** A Glue schema version, as the codecs need it. */
export interface GlueSchema {
  schemaVersionId: string;
  format: SchemaFormat;
  schema: string;
}

/** Where Glue schema versions come from. */
export interface GlueSchemaSource {
  /**
   * The schema version with `schemaVersionId`.
   *
   * @throws {SchemaNotFoundError} when Glue has no such version, or it is of a format not read here.
   * @throws {SchemaRegistryUnavailableError} when Glue cannot answer.
   */
  schemaVersion(schemaVersionId: string): Promise<GlueSchema>;
}

/** Reads one version; the real one is `lib/aws/glue.ts`, loaded on demand. */
export type GlueReader = (schemaVersionId: string, region: string) => Promise<{ dataFormat: string; definition: string }>;

const readFromGlue: GlueReader = async (schemaVersionId, region) => {
  const { getGlueSchemaVersion } = await import('../aws/glue');
  return getGlueSchemaVersion(schemaVersionId, region);
};

/**
 * A {@link GlueSchemaSource} in `region`, caching the versions it read (the most recently used
 * `cacheEntries`: records name the ids). Create one per container.
 */
export function createGlueSchemaSource(region: string, read: GlueReader = readFromGlue, cacheEntries = SCHEMA_CACHE_ENTRIES): GlueSchemaSource {
  const versions = new BoundedCache<Promise<GlueSchema>>(cacheEntries);
  return {
    schemaVersion(schemaVersionId) {
      return versions.memo(schemaVersionId, () =>
        read(schemaVersionId, region).then(
          ({ dataFormat, definition }) => {
            const format = schemaFormatOf(dataFormat);
            if (format === undefined)
              throw new SchemaNotFoundError(`Glue schema version ${schemaVersionId} is of format ${dataFormat}, which is not read here`);
            return { schemaVersionId, format, schema: definition };
          },
          (error: unknown) => {
            if ((error as { name?: unknown }).name === 'EntityNotFoundException') {
              throw new SchemaNotFoundError(`Glue schema version ${schemaVersionId} does not exist`, { cause: error });
            }
            throw new SchemaRegistryUnavailableError({ cause: error });
          },
        ),
      );
    },
  };
}
