/** The schema formats a registry holds, under the names Confluent's API and Lambda's metadata use. */
export const SchemaFormat = {
  Avro: 'AVRO',
  Protobuf: 'PROTOBUF',
  Json: 'JSON',
} as const;
export type SchemaFormat = (typeof SchemaFormat)[keyof typeof SchemaFormat];

/** A schema as the registry holds it. */
export interface RegisteredSchema {
  id: number;
  format: SchemaFormat;
  /** The schema's text (Avro JSON, `.proto` source or JSON Schema). */
  schema: string;
}

/** The format named by a registry's `schemaType` (absent means Avro, as Confluent defines it); undefined for one this project does not read. */
export function schemaFormatOf(schemaType: unknown): SchemaFormat | undefined {
  if (schemaType === undefined || schemaType === null) return SchemaFormat.Avro;
  const formats: readonly unknown[] = Object.values(SchemaFormat);
  return formats.includes(schemaType) ? (schemaType as SchemaFormat) : undefined;
}
