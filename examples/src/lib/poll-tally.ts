/** One poll question and its answer options. */
export interface PollQuestion {
  id: string;
  text: string;
  options: readonly { id: string; label: string }[];
}

/** The votes: counts per option, in the questions' order. */
export interface TallySnapshot {
  /** Voters holding at least one vote (a leaver's votes go with them). */
  voted: number;
  questions: { id: string; text: string; labels: string[]; counts: number[] }[];
}

export type VoteResult = { ok: true } | { ok: false; error: string };

/**
 * Votes of connected voters: at most one option per question per voter. Changing a vote
 * moves it; removing a voter (they left) removes all their votes.
 */
export class PollTally {
  readonly #questions: readonly PollQuestion[];
  readonly #votes = new Map<string, Map<string, string>>(); // voter → question → option
  readonly #counts = new Map<string, Map<string, number>>(); // question → option → count

  constructor(questions: readonly PollQuestion[]) {
    this.#questions = questions;
    for (const q of questions) {
      this.#counts.set(q.id, new Map(q.options.map((o) => [o.id, 0])));
    }
  }

  get questions(): readonly PollQuestion[] {
    return this.#questions;
  }

  /** The voter's current choices, question id → option id. */
  choicesOf(voter: string): Record<string, string> {
    return Object.fromEntries(this.#votes.get(voter) ?? []);
  }

  vote(voter: string, questionId: unknown, optionId: unknown): VoteResult {
    if (typeof questionId !== "string" || typeof optionId !== "string") {
      return { ok: false, error: "question and option must be strings" };
    }
    const counts = this.#counts.get(questionId);
    if (!counts) return { ok: false, error: "unknown question" };
    const current = counts.get(optionId);
    if (current === undefined) return { ok: false, error: "unknown option" };
    const mine = this.#votes.get(voter) ?? new Map<string, string>();
    const previous = mine.get(questionId);
    if (previous === optionId) return { ok: true };
    if (previous !== undefined) counts.set(previous, (counts.get(previous) ?? 1) - 1);
    counts.set(optionId, current + 1);
    mine.set(questionId, optionId);
    this.#votes.set(voter, mine);
    return { ok: true };
  }

  /** Withdraws the voter's vote on one question; false when there was none. */
  unvote(voter: string, questionId: string): boolean {
    const mine = this.#votes.get(voter);
    const previous = mine?.get(questionId);
    if (!mine || previous === undefined) return false;
    const counts = this.#counts.get(questionId);
    counts?.set(previous, (counts.get(previous) ?? 1) - 1);
    mine.delete(questionId);
    if (mine.size === 0) this.#votes.delete(voter);
    return true;
  }

  /** Removes every vote of a voter who left. */
  removeVoter(voter: string): void {
    const mine = this.#votes.get(voter);
    if (!mine) return;
    for (const questionId of [...mine.keys()]) this.unvote(voter, questionId);
  }

  snapshot(): TallySnapshot {
    return {
      voted: this.#votes.size,
      questions: this.#questions.map((q) => {
        const counts = this.#counts.get(q.id);
        return {
          id: q.id,
          text: q.text,
          labels: q.options.map((o) => o.label),
          counts: q.options.map((o) => counts?.get(o.id) ?? 0),
        };
      }),
    };
  }
}

/**
 * Calls `publish` with the snapshot only when it differs from the last one published.
 * `check()` is what the server's interval runs; it returns whether it published.
 */
export class ChangePublisher<T> {
  readonly #read: () => T;
  readonly #publish: (value: T) => void;
  #lastKey: string | undefined;

  constructor(read: () => T, publish: (value: T) => void) {
    this.#read = read;
    this.#publish = publish;
  }

  check(): boolean {
    const value = this.#read();
    const key = JSON.stringify(value);
    if (key === this.#lastKey) return false;
    this.#lastKey = key;
    this.#publish(value);
    return true;
  }
}

/** What the presenter page shows: the votes, who is there, and when the counts last changed. */
export interface PresenterTally extends TallySnapshot {
  /** Voters connected now (on the voting page), whether they voted or not. */
  connected: number;
  /**
   * When a push first showed counts different from the push before (ms since the epoch);
   * `null` while the counts never changed (no vote yet).
   */
  changedAt: number | null;
}

/**
 * The presenter's feed: a {@link ChangePublisher} over the tally and the connected count
 * that stamps `changedAt` when the counts (not the connected count) changed.
 */
export class PresenterFeed {
  readonly #publisher: ChangePublisher<TallySnapshot & { connected: number }>;
  readonly #now: () => number;
  #lastCounts: string | undefined;
  #current: PresenterTally;

  constructor(
    tally: PollTally,
    connected: () => number,
    publish: (view: PresenterTally) => void,
    now: () => number = Date.now,
  ) {
    this.#now = now;
    this.#publisher = new ChangePublisher(
      () => ({ connected: connected(), ...tally.snapshot() }),
      (view) => {
        const counts = JSON.stringify(view.questions.map((q) => q.counts));
        const changed = this.#lastCounts !== undefined && counts !== this.#lastCounts;
        this.#lastCounts = counts;
        this.#current = { ...view, changedAt: changed ? this.#now() : this.#current.changedAt };
        publish(this.#current);
      },
    );
    this.#current = { connected: connected(), ...tally.snapshot(), changedAt: null };
    // The state at creation, published to nobody yet: later pushes are changes only.
    this.#publisher.check();
  }

  /** Publishes when the votes or the connected count changed; returns whether it did. */
  check(): boolean {
    return this.#publisher.check();
  }

  /** The last view published. */
  get current(): PresenterTally {
    return this.#current;
  }
}
