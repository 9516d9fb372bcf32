/**
 * Counts by name with a bounded number of names: at most `size` names have a counter of
 * their own, everything else is counted under "other", and a name that becomes more
 * frequent than the least frequent tracked one takes its place at the next
 * {@link rebalance} (each scrape). Memory is bounded whatever clients send: `size` tracked
 * names, and at most `4 × size` candidates (names counted under "other", kept with an
 * approximate count: when the table is full the least counted candidate gives its place
 * to the newcomer, which inherits its count, the "space-saving" scheme).
 *
 * Each counter only grows while its name stays tracked, and "other" only grows: a name
 * promoted starts from 0 (what it had before stays in "other"); a name demoted disappears
 * (its series ends, as a counter reset does for `rate()`).
 */
export class TopNames {
  readonly size: number;
  readonly #maxCandidates: number;
  /** Tracked names: [total since tracked, count since the last rebalance]. */
  readonly #tracked = new Map<string, [number, number]>();
  /** Names counted under "other" since the last rebalance (approximate counts). */
  readonly #candidates = new Map<string, number>();
  #other = 0;
  /**
   * The tracked name counted last and its entry: a run of the same event (the usual
   * traffic) is counted by one string comparison instead of a Map lookup, which hashes the
   * name (a new string for every packet decoded). Forgotten when {@link rebalance} changes
   * the tracked names.
   */
  #lastName: string | undefined;
  #lastEntry: [number, number] = [0, 0];

  constructor(size: number) {
    this.size = size;
    this.#maxCandidates = Math.max(16, size * 4);
  }

  /** Counts one occurrence of `name`. */
  add(name: string): void {
    if (name === this.#lastName) {
      const entry = this.#lastEntry;
      entry[0]++;
      entry[1]++;
      return;
    }
    const entry = this.#tracked.get(name);
    if (entry !== undefined) {
      entry[0]++;
      entry[1]++;
      this.#lastName = name;
      this.#lastEntry = entry;
      return;
    }
    if (this.#tracked.size < this.size) {
      this.#tracked.set(name, [1, 1]);
      return;
    }
    this.#other++;
    const candidates = this.#candidates;
    const count = candidates.get(name);
    if (count !== undefined) {
      candidates.set(name, count + 1);
      return;
    }
    if (candidates.size < this.#maxCandidates) {
      candidates.set(name, 1);
      return;
    }
    // Space-saving: the least counted candidate makes room; the newcomer inherits its count.
    let minName = "";
    let min = Number.POSITIVE_INFINITY;
    for (const [n, c] of candidates) {
      if (c < min) {
        min = c;
        minName = n;
      }
    }
    candidates.delete(minName);
    candidates.set(name, min + 1);
  }

  /** Occurrences of names without a counter of their own. */
  get other(): number {
    return this.#other;
  }

  /** The tracked names and their totals. */
  entries(): IterableIterator<[string, [number, number]]> {
    return this.#tracked.entries();
  }

  /** Number of names held (tracked and candidates): at most `5 × size` (leak checks). */
  get held(): number {
    return this.#tracked.size + this.#candidates.size;
  }

  /**
   * Swaps the least frequent tracked names (since the last rebalance) for more frequent
   * candidates, then starts a new period.
   */
  rebalance(): void {
    if (this.#candidates.size > 0) {
      const candidates = [...this.#candidates].sort((a, b) => b[1] - a[1]);
      const tracked = [...this.#tracked].sort((a, b) => a[1][1] - b[1][1]);
      let i = 0;
      for (const [name, count] of candidates) {
        const weakest = tracked[i];
        if (weakest === undefined || count <= weakest[1][1]) break;
        this.#tracked.delete(weakest[0]);
        this.#tracked.set(name, [0, 0]);
        this.#lastName = undefined;
        i++;
      }
      this.#candidates.clear();
    }
    for (const entry of this.#tracked.values()) entry[1] = 0;
  }
}
