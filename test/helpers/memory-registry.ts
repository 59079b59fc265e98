/** A schema registry in memory for unit tests: ids given in order, every question recorded. */
import { SchemaNotFoundError } from '../../lib/errors';
import type { RegisteredSchema, SchemaFormat, SchemaReference } from '../../lib/schema/format';
import type { SchemaRegistry } from '../../lib/schema/registry-client';

/** A {@link SchemaRegistry} in memory, with the calls it was asked. */
export interface MemoryRegistry extends SchemaRegistry {
  calls: string[];
  /**
   * Puts a schema under `id` directly (fixtures whose events name fixed ids); under `subject` it
   * is the subject's next version.
   */
  put(id: number, format: SchemaFormat, schema: string, subject?: string, references?: SchemaReference[]): void;
}

/** A new, empty {@link MemoryRegistry}. */
export function memoryRegistry(): MemoryRegistry {
  const byId = new Map<number, RegisteredSchema & { subjects: Set<string> }>();
  const calls: string[] = [];
  const versions = new Map<string, number[]>();
  const registered = (entry: RegisteredSchema & { subjects: Set<string> }): RegisteredSchema => ({
    id: entry.id,
    format: entry.format,
    schema: entry.schema,
    ...(entry.references === undefined ? {} : { references: entry.references }),
  });
  return {
    calls,
    put(id, format, schema, subject, references) {
      byId.set(id, { id, format, schema, subjects: new Set(subject === undefined ? [] : [subject]), ...(references === undefined ? {} : { references }) });
      if (subject !== undefined) versions.set(subject, [...(versions.get(subject) ?? []), id]);
    },
    async schemaVersion(subject, version) {
      calls.push(`version ${subject} ${version}`);
      const entry = byId.get(versions.get(subject)?.[version - 1] ?? -1);
      if (entry === undefined) throw new SchemaNotFoundError(`version ${version} of subject "${subject}" is not registered`);
      return registered(entry);
    },
    async register(subject, format, schema) {
      calls.push(`register ${subject}`);
      for (const entry of byId.values()) {
        if (entry.schema === schema && entry.format === format) {
          entry.subjects.add(subject);
          return entry.id;
        }
      }
      const id = Math.max(0, ...byId.keys()) + 1;
      byId.set(id, { id, format, schema, subjects: new Set([subject]) });
      return id;
    },
    async schemaById(id) {
      calls.push(`schema ${id}`);
      const entry = byId.get(id);
      if (entry === undefined) throw new SchemaNotFoundError(`schema id ${id} is not registered`);
      return registered(entry);
    },
    async versionUnderSubject(subject, id) {
      calls.push(`version under ${subject} ${id}`);
      const entry = byId.get(id);
      if (entry === undefined || !entry.subjects.has(subject)) throw new SchemaNotFoundError(`schema id ${id} is not registered under subject "${subject}"`);
      // Versions in the order the subject took its schemas.
      return [...byId.values()].filter((other) => other.subjects.has(subject)).indexOf(entry) + 1;
    },
    async subjectVersion(subject, version) {
      calls.push(`subject ${subject} ${version}`);
      const held = [...byId.values()].filter((entry) => entry.subjects.has(subject));
      const entry = version === 'latest' ? held[held.length - 1] : held[version - 1];
      if (entry === undefined) throw new SchemaNotFoundError(`subject "${subject}" has no ${version === 'latest' ? 'schema' : `version ${version}`}`);
      return { id: entry.id, format: entry.format, schema: entry.schema, version: held.indexOf(entry) + 1 };
    },
    async schemaUnderSubject(subject, id) {
      calls.push(`under ${subject} ${id}`);
      const entry = byId.get(id);
      if (entry === undefined || !entry.subjects.has(subject)) throw new SchemaNotFoundError(`schema id ${id} is not registered under subject "${subject}"`);
      return registered(entry);
    },
  };
}
