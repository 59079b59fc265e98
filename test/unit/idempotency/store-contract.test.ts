/** The store contract (test/helpers/store-contract.ts) against the in-memory fake the consume unit tests use. */
import { describeStoreContract } from '../../helpers/store-contract';
import { FakeStore } from '../consume/fake-store';

describeStoreContract('FakeStore, returning the item with a refused claim (as DynamoDB does)', 'fake-returning', () => {
  const store = new FakeStore();
  store.returnExisting = true;
  return { store, returnsExisting: true };
});

describeStoreContract('FakeStore, not returning the item (as dynalite does)', 'fake-silent', () => ({ store: new FakeStore(), returnsExisting: false }));
