import { asRecord } from "../lib/bytes.js";
import { type PollQuestion, PollTally, PresenterFeed } from "../lib/poll-tally.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/** The questions of the live-polls demo. */
export const DEFAULT_QUESTIONS: readonly PollQuestion[] = [
  {
    id: "transport",
    text: "Which transport do you trust in production?",
    options: [
      { id: "websocket", label: "WebSocket" },
      { id: "polling", label: "Long-polling" },
      { id: "both", label: "Both, with upgrade" },
    ],
  },
  {
    id: "language",
    text: "Your favourite language for servers?",
    options: [
      { id: "ts", label: "TypeScript" },
      { id: "go", label: "Go" },
      { id: "rust", label: "Rust" },
      { id: "python", label: "Python" },
    ],
  },
  {
    id: "coffee",
    text: "Coffee or tea?",
    options: [
      { id: "coffee", label: "Coffee" },
      { id: "tea", label: "Tea" },
      { id: "neither", label: "Neither" },
    ],
  },
];

/**
 * Live polls: voters on `/polls` (`polls:questions` on connect; `vote` ({question,
 * option}, ack); `unvote` ({question}, ack)), the presenter on `/polls-admin` (`tally` on
 * connect and whenever it changed: counts, `connected` voters, `voted` (voters holding a
 * vote) and `changedAt` (when the counts last changed, `null` before any vote)). A
 * server-side interval compares the tally with the last one pushed and emits only on
 * change. Returns a stop function for the interval.
 */
export function mountPolls(
  voters: DemoNamespace,
  admins: DemoNamespace,
  options: { questions?: readonly PollQuestion[]; intervalMs?: number } = {},
): { stop(): void; tally: PollTally; connected(): number } {
  const tally = new PollTally(options.questions ?? DEFAULT_QUESTIONS);
  let connected = 0;
  const feed = new PresenterFeed(
    tally,
    () => connected,
    // Each node counts its own voters: with a cluster adapter a presenter sees the votes
    // of the voters connected to the same node (examples/README.md, "Two processes").
    (view) => admins.local.emit("tally", view),
  );

  // Rate limited (issue 18): at most 10 vote changes per 10 s per voter (a bot clicking
  // through the options cannot churn the presenter's chart); a refused vote's ack is
  // `{ error: { code: "SB_ERR_RATE_LIMITED", retryAfter } }` and the page says to slow down.
  voters.rateLimit({
    points: 20,
    duration: 10_000,
    perEvent: { vote: { points: 10, duration: 10_000 }, unvote: { points: 10, duration: 10_000 } },
    maxViolations: 100,
  });

  voters.on("connection", (socket: DemoSocket) => {
    connected += 1;
    socket.emit("polls:questions", {
      questions: tally.questions,
      choices: tally.choicesOf(socket.id),
    });

    socket.on("vote", (...args) => {
      const ack = takeAck(args);
      const input = asRecord(args[0]);
      ack(tally.vote(socket.id, input?.question, input?.option));
    });

    socket.on("unvote", (...args) => {
      const ack = takeAck(args);
      const question = asRecord(args[0])?.question;
      ack({ ok: typeof question === "string" && tally.unvote(socket.id, question) });
    });

    socket.on("disconnect", () => {
      connected -= 1;
      tally.removeVoter(socket.id);
    });
  });

  admins.on("connection", (socket: DemoSocket) => {
    // A change not pushed yet goes to every presenter, this one included; else the last view.
    if (!feed.check()) socket.emit("tally", feed.current);
  });

  const timer = setInterval(() => feed.check(), options.intervalMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer), tally, connected: () => connected };
}
