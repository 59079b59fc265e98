/** The store contract (test/helpers/store-contract.ts) against the one in-memory store the unit tests use. */
import { describeStoreContract } from '../../helpers/store-contract';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';

describeStoreContract('MemoryIdempotencyStore, returning the item with a refused claim (as DynamoDB does)', 'memory-returning', () => ({
  store: new MemoryIdempotencyStore({ returnExisting: true }),
  returnsExisting: true,
}));

describeStoreContract('MemoryIdempotencyStore, not returning the item (as dynalite does)', 'memory-silent', () => ({
  store: new MemoryIdempotencyStore(),
  returnsExisting: false,
}));
