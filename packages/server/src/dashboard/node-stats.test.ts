import { describe, expect, it } from "vitest";
import { NodeStats, percentile } from "./node-stats.js";

const socket = (id: string, nsp = "/") => ({
  id,
  nsp: { name: nsp, connectionStateRecovery: undefined },
  handshake: { auth: {} },
  recovered: false,
});

function stats(limits = { historySeconds: 60, disconnects: 3, ackSamples: 1000 }) {
  let now = 1_000_000;
  const s = new NodeStats(limits, "/_switchboard", false, () => now);
  return { s, tick: (ms: number) => (now += ms) };
}

describe("NodeStats", () => {
  it("counts events per second, leaving out the dashboard's own namespace", () => {
    const { s, tick } = stats();
    s.event("a", "/");
    s.event("b", "/chat");
    s.event("overview", "/_switchboard");
    expect(s.history()).toEqual([]); // the current second is not complete
    tick(1000);
    s.event("a", "/");
    tick(2000);
    const h = s.history();
    expect(h.map((r) => r.in)).toEqual([2, 1, 0]);
    expect(h.map((r) => r.t)).toEqual([1_000_000, 1_001_000, 1_002_000]);
  });

  it("keeps historySeconds rows, zero rows for quiet seconds", () => {
    const { s, tick } = stats({ historySeconds: 5, disconnects: 3, ackSamples: 10 });
    s.event("a", "/");
    tick(3_600_000); // an hour of silence: at most 5 rows are made
    const h = s.history();
    expect(h).toHaveLength(5);
    expect(h.every((r) => r.in === 0)).toBe(true);
  });

  it("times acks, p50/p95 of the second; failed acks are not timed", () => {
    const { s, tick } = stats();
    const answered: unknown[] = [];
    const acks = Array.from({ length: 20 }, () => s.ack((...args) => answered.push(args), true));
    for (const ack of acks) ack(null, "ok");
    s.ack(() => {}, true)(Object.assign(new Error("timeout"), { code: "SB_ERR_ACK_TIMEOUT" }));
    tick(1000);
    const [row] = s.history();
    expect(answered).toHaveLength(20);
    expect(row!.acks).toBe(20);
    expect(row!.p50).toBeGreaterThanOrEqual(0);
    expect(row!.p95).toBeGreaterThanOrEqual(row!.p50!);
  });

  it("keeps the latest `disconnects`, newest first", () => {
    const { s } = stats();
    for (const id of ["a", "b", "c", "d", "e"]) s.disconnected(socket(id), "transport close");
    s.disconnected(socket("page", "/_switchboard"), "transport close");
    expect(s.disconnects().map((d) => d.id)).toEqual(["e", "d", "c"]);
  });

  it("percentile is nearest-rank", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.95)).toBe(4);
  });
});
