/**
 * The one bounded cache of this folder: every cache keyed by what clients send (schema texts
 * in produce requests, schema ids and Glue version ids in records) holds at most a fixed number
 * of entries and forgets the least recently used first, so a flood of distinct schemas cannot
 * grow a container's memory while the schemas in use stay warm. A `Map` keeps insertion order;
 * a hit moves its entry to the end, so the first key is always the least recently used.
 */

/** Entries each schema cache holds: far more schemas than a deployment uses, far fewer than memory allows. */
export const SCHEMA_CACHE_ENTRIES = 500;

/** A least-recently-used cache of at most `maxEntries` entries. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  /** @param maxEntries - entries kept (at least 1). */
  constructor(readonly maxEntries: number = SCHEMA_CACHE_ENTRIES) {}

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Keeps `value` under `key`, dropping the least recently used entry when full. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.maxEntries) return;
    this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Forgets `key` when it still holds `value` (a load that failed is not kept). */
  forget(key: string, value: V): void {
    if (this.entries.get(key) === value) this.entries.delete(key);
  }

  /**
   * The promise cached under `key`, else `load()`'s, kept; a rejected one is forgotten, so the
   * next call asks again (a registry that was away is asked once it is back).
   */
  memo<T>(this: BoundedCache<Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const loading = load();
    this.set(key, loading);
    loading.catch(() => this.forget(key, loading));
    return loading;
  }
}
