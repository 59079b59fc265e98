/**
 * The one bounded cache of this folder: every cache keyed by what clients send (schema texts
 * in produce requests, schema ids and Glue version ids in records) holds at most a fixed number
 * of entries and forgets the least recently used first, so a flood of distinct schemas cannot
 * grow a container's memory while the schemas in use stay warm. Entries are also bounded by the
 * length of their keys together: a key is a schema text a client chose (up to the request's
 * size), and what is cached under it (a parsed type) grows with it, so 500 entries of 4 MB each
 * would be gigabytes. A `Map` keeps insertion order;
 * a hit moves its entry to the end, so the first key is always the least recently used.
 */

/** Entries each schema cache holds: far more schemas than a deployment uses, far fewer than memory allows. */
export const SCHEMA_CACHE_ENTRIES = 500;

/** Characters the keys of each schema cache hold together: many schemas of common size, few huge ones. */
export const SCHEMA_CACHE_KEY_CHARS = 4 * 1024 * 1024;

/** A least-recently-used cache of at most `maxEntries` entries whose keys hold at most `maxKeyChars` characters. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  private chars = 0;

  /**
   * @param maxEntries - entries kept (at least 1).
   * @param maxKeyChars - characters of all keys kept; a key longer than this is never kept.
   */
  constructor(
    readonly maxEntries: number = SCHEMA_CACHE_ENTRIES,
    readonly maxKeyChars: number = SCHEMA_CACHE_KEY_CHARS,
  ) {}

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Characters of the keys held now. */
  get keyChars(): number {
    return this.chars;
  }

  /** The value under `key`, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Keeps `value` under `key` (unless the key alone is over the bound), dropping the least recently used entries past either bound. */
  set(key: string, value: V): void {
    this.delete(key);
    if (key.length > this.maxKeyChars) return;
    this.entries.set(key, value);
    this.chars += key.length;
    while (this.entries.size > this.maxEntries || this.chars > this.maxKeyChars) this.delete(this.entries.keys().next().value as string);
  }

  /** Forgets `key` when it still holds `value` (a load that failed is not kept). */
  forget(key: string, value: V): void {
    if (this.entries.get(key) === value) this.delete(key);
  }

  private delete(key: string): void {
    if (this.entries.delete(key)) this.chars -= key.length;
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
