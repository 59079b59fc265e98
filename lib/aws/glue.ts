/**
 * The door to the AWS Glue Schema Registry: the only code that imports its client. Loaded
 * lazily by `lib/schema/glue-registry.ts` on the first record framed for Glue, so functions
 * that never meet one never load the client.
 */
import { GetSchemaVersionCommand, GlueClient } from '@aws-sdk/client-glue';

/** A schema version as Glue holds it. */
export interface GlueSchemaVersion {
  /** `AVRO`, `JSON` or `PROTOBUF`. */
  dataFormat: string;
  definition: string;
}

const clients = new Map<string, GlueClient>();

/**
 * Reads a schema version by its id (`glue:GetSchemaVersion`). One client per region, kept for
 * the container's life.
 *
 * @throws the SDK's error (`EntityNotFoundException` for an unknown id), or Error for an answer without a definition.
 */
export async function getGlueSchemaVersion(schemaVersionId: string, region: string): Promise<GlueSchemaVersion> {
  let client = clients.get(region);
  if (client === undefined) {
    client = new GlueClient({ region, maxAttempts: 3 });
    clients.set(region, client);
  }
  const answer = await client.send(new GetSchemaVersionCommand({ SchemaVersionId: schemaVersionId }));
  if (answer.SchemaDefinition === undefined || answer.DataFormat === undefined) throw new Error('the schema version has no definition or data format');
  return { dataFormat: answer.DataFormat, definition: answer.SchemaDefinition };
}
