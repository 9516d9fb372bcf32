import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChangePublisher,
  type PollQuestion,
  PollTally,
  PresenterFeed,
  type PresenterTally,
} from "../../src/lib/poll-tally.js";

const questions: PollQuestion[] = [
  {
    id: "q1",
    text: "One?",
    options: [
      { id: "a", label: "A" },
      { id: "b", label: "B" },
    ],
  },
  {
    id: "q2",
    text: "Two?",
    options: [
      { id: "x", label: "X" },
      { id: "y", label: "Y" },
      { id: "z", label: "Z" },
    ],
  },
];
const counts = (t: PollTally) => t.snapshot().questions.map((q) => q.counts);

describe("PollTally", () => {
  it("counts one vote per voter and question, and moves changed votes", () => {
    const t = new PollTally(questions);
    expect(t.vote("v1", "q1", "a")).toEqual({ ok: true });
    expect(t.vote("v2", "q1", "a")).toEqual({ ok: true });
    expect(t.vote("v1", "q2", "z")).toEqual({ ok: true });
    expect(counts(t)).toEqual([
      [2, 0],
      [0, 0, 1],
    ]);
    t.vote("v1", "q1", "b");
    t.vote("v1", "q1", "b"); // same vote again changes nothing
    expect(counts(t)).toEqual([
      [1, 1],
      [0, 0, 1],
    ]);
    expect(t.choicesOf("v1")).toEqual({ q1: "b", q2: "z" });
    expect(t.snapshot().voted).toBe(2);
  });

  it("removes a leaving voter's votes", () => {
    const t = new PollTally(questions);
    t.vote("v1", "q1", "a");
    t.vote("v1", "q2", "y");
    t.vote("v2", "q2", "y");
    t.removeVoter("v1");
    expect(counts(t)).toEqual([
      [0, 0],
      [0, 1, 0],
    ]);
    expect(t.choicesOf("v1")).toEqual({});
    expect(t.snapshot().voted).toBe(1);
    t.removeVoter("nobody");
  });

  it("withdraws a single vote", () => {
    const t = new PollTally(questions);
    t.vote("v1", "q1", "a");
    expect(t.unvote("v1", "q1")).toBe(true);
    expect(t.unvote("v1", "q1")).toBe(false);
    expect(counts(t)).toEqual([
      [0, 0],
      [0, 0, 0],
    ]);
  });

  it.each([
    ["unknown question", "q9", "a"],
    ["unknown option", "q1", "z"],
    ["non-string question", 1, "a"],
    ["non-string option", "q1", null],
    ["prototype key", "q1", "__proto__"],
  ])("refuses %s", (_label, q, o) => {
    const t = new PollTally(questions);
    expect(t.vote("v", q, o)).toMatchObject({ ok: false });
    expect(counts(t)).toEqual([
      [0, 0],
      [0, 0, 0],
    ]);
  });

  it("always equals a recount of the current choices (model check)", () => {
    const action = fc.oneof(
      fc.record({
        kind: fc.constant("vote" as const),
        voter: fc.nat(4),
        q: fc.constantFrom("q1", "q2"),
        o: fc.constantFrom("a", "b", "x", "y", "z"),
      }),
      fc.record({
        kind: fc.constant("unvote" as const),
        voter: fc.nat(4),
        q: fc.constantFrom("q1", "q2"),
      }),
      fc.record({ kind: fc.constant("leave" as const), voter: fc.nat(4) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const t = new PollTally(questions);
        for (const a of actions) {
          const voter = `v${a.voter}`;
          if (a.kind === "vote") t.vote(voter, a.q, a.o);
          else if (a.kind === "unvote") t.unvote(voter, a.q);
          else t.removeVoter(voter);
        }
        const recount = questions.map((q) => q.options.map(() => 0));
        for (let v = 0; v <= 4; v++) {
          for (const [q, o] of Object.entries(t.choicesOf(`v${v}`))) {
            const qi = questions.findIndex((x) => x.id === q);
            const oi = questions[qi]?.options.findIndex((x) => x.id === o) ?? -1;
            const row = recount[qi];
            if (row) row[oi] = (row[oi] ?? 0) + 1;
          }
        }
        expect(counts(t)).toEqual(recount);
      }),
      { numRuns: 300 },
    );
  });
});

describe("ChangePublisher", () => {
  it("publishes the first value and then only changes", () => {
    const t = new PollTally(questions);
    const published: number[][][] = [];
    const pub = new ChangePublisher(
      () => t.snapshot(),
      (s) => published.push(s.questions.map((q) => q.counts)),
    );
    expect(pub.check()).toBe(true);
    expect(pub.check()).toBe(false);
    t.vote("v1", "q1", "a");
    expect(pub.check()).toBe(true);
    expect(pub.check()).toBe(false);
    // a vote and its withdrawal between two checks: nothing changed, nothing pushed
    t.vote("v2", "q1", "b");
    t.unvote("v2", "q1");
    expect(pub.check()).toBe(false);
    expect(published).toEqual([
      [
        [0, 0],
        [0, 0, 0],
      ],
      [
        [1, 0],
        [0, 0, 0],
      ],
    ]);
  });
});

describe("PresenterFeed", () => {
  function setup() {
    const t = new PollTally(questions);
    let connected = 0;
    let clock = 1000;
    const pushed: PresenterTally[] = [];
    const feed = new PresenterFeed(
      t,
      () => connected,
      (v) => pushed.push(v),
      () => clock,
    );
    return {
      t,
      feed,
      pushed,
      connect: (n: number) => {
        connected = n;
      },
      tick: (ms: number) => {
        clock += ms;
      },
    };
  }

  it("has no change time before the first vote, however many voters come and go", () => {
    const { feed, pushed, connect } = setup();
    expect(feed.current).toMatchObject({ connected: 0, voted: 0, changedAt: null });
    connect(3);
    expect(feed.check()).toBe(true);
    connect(1);
    expect(feed.check()).toBe(true);
    expect(pushed.map((p) => [p.connected, p.voted, p.changedAt])).toEqual([
      [0, 0, null], // at creation (before any presenter connects)
      [3, 0, null],
      [1, 0, null],
    ]);
  });

  it("stamps the time the counts changed, and keeps it while only the connected count moves", () => {
    const { t, feed, pushed, connect, tick } = setup();
    connect(2);
    t.vote("v1", "q1", "a");
    tick(500);
    expect(feed.check()).toBe(true);
    expect(feed.current).toMatchObject({ connected: 2, voted: 1, changedAt: 1500 });
    tick(500);
    connect(1);
    expect(feed.check()).toBe(true);
    expect(feed.current.changedAt).toBe(1500);
    tick(500);
    t.unvote("v1", "q1");
    expect(feed.check()).toBe(true);
    expect(feed.current).toMatchObject({ voted: 0, changedAt: 2500 });
    expect(feed.check()).toBe(false);
    expect(pushed).toHaveLength(4); // creation + the three changes
  });
});
