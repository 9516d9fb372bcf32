/** One poll question and its answer options. */
export interface PollQuestion {
  id: string;
  text: string;
  options: readonly { id: string; label: string }[];
}

/** What the presenter's charts show: counts per option, in the questions' order. */
export interface TallySnapshot {
  voters: number;
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
      voters: this.#votes.size,
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
