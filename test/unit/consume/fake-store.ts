/**
 * The consume unit tests' names for the shared test doubles: the one in-memory idempotency
 * store and the hand-moved clock, both in test/helpers/.
 */
export { MemoryIdempotencyStore as FakeStore, type RequestCounts } from '../../helpers/memory-idempotency-store';
export { FakeClock } from '../../helpers/fake-clock';
