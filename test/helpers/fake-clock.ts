/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public nowValueMs = 1_800_000_000_000) {}
  nowMs(): number {
    return this.nowValueMs;
  }
}
