import { describe, expect, it } from "vitest";
import { type AskOthers, ClusterView } from "./cluster-view.js";
import type { NodeAnswers, NodeRequest, SocketRow, SocketsAnswer } from "./node-answers.js";

/** A node's answers made from a list of socket ids (only the sockets request is used here). */
function fakeNode(id: string, ids: string[]): { answer(r: NodeRequest): SocketsAnswer } {
  return {
    answer(r) {
      if (r.kind !== "sockets") throw new Error("sockets only");
      const all = ids.filter((s) => s.includes(r.query)).sort();
      const page = all.filter((s) => s > r.after).slice(0, r.limit);
      return {
        node: id,
        total: all.length,
        sockets: page.map((s) => ({ id: s, node: id }) as SocketRow),
      };
    },
  };
}

function view(
  local: ReturnType<typeof fakeNode> & { id?: string },
  others: ReturnType<typeof fakeNode>[],
  maxNodes = 256,
) {
  const ask: AskOthers = (request, done) =>
    done(
      null,
      others.map((o) => o.answer(request)),
    );
  return new ClusterView({ id: "a", ...local } as unknown as NodeAnswers, ask, 60_000, maxNodes);
}

describe("ClusterView", () => {
  it("pages the cluster's sockets by id: every socket once, in order, across nodes", async () => {
    const a = Array.from({ length: 23 }, (_, i) => `a${String(i).padStart(2, "0")}`);
    const b = Array.from({ length: 17 }, (_, i) => `b${String(i).padStart(2, "0")}`);
    const c = ["a05x", "zz"];
    const v = view(fakeNode("a", a), [fakeNode("b", b), fakeNode("c", c)]);
    const seen: string[] = [];
    let after = "";
    for (let i = 0; i < 20; i++) {
      const page = await v.sockets("/", "", after, 7);
      expect(page.total).toBe(42);
      expect(page.sockets.length).toBeLessThanOrEqual(7);
      seen.push(...page.sockets.map((s) => s.id));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toEqual([...a, ...b, ...c].sort());
  });

  it("reports the adapter's error with the answers that came, and who did not answer", async () => {
    let others = [fakeNode("b", ["b1"]), fakeNode("c", ["c1"])];
    let err: Error | null = null;
    const ask: AskOthers = (request, done) =>
      done(
        err,
        others.map((o) => o.answer(request)),
      );
    const v = new ClusterView(
      { id: "a", ...fakeNode("a", ["a1"]) } as unknown as NodeAnswers,
      ask,
      60_000,
      256,
    );
    expect((await v.sockets("/", "", "", 10)).missing).toEqual([]);
    others = [fakeNode("b", ["b1"])];
    err = new Error("timeout reached while waiting for responses from other nodes");
    const page = await v.sockets("/", "", "", 10);
    expect(page.sockets.map((s) => s.id)).toEqual(["a1", "b1"]);
    expect(page.error).toBe(err.message);
    expect(page.missing.map((m) => m.id)).toEqual(["c"]);
  });

  it("remembers at most maxNodes nodes", async () => {
    let n = 0;
    const ask: AskOthers = (request, done) =>
      done(null, [fakeNode(`node-${n++}`, []).answer(request)]);
    const v = new ClusterView(
      { id: "a", ...fakeNode("a", []) } as unknown as NodeAnswers,
      ask,
      60_000,
      8,
    );
    for (let i = 0; i < 50; i++) await v.sockets("/", "", "", 1);
    expect(v.remembered).toBe(8);
  });
});
