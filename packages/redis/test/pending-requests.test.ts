// The pending-request registry of the classic adapter, without Redis: bounded, every entry
// removed on its last answer, timeout, lost connection or close, and nodes that leave are
// not waited for (requests complete, ack broadcasts count their clients as 0).
import { describe, expect, it, vi } from "vitest";
import { PendingRequests } from "../src/classic/requests.js";
import { RedisAdapterError } from "../src/errors.js";

function registry(nodes: { n: number }, max = 10, timeout = 1000): PendingRequests {
  return new PendingRequests({
    max,
    timeout,
    nodeCheckInterval: 10,
    countNodes: () => Promise.resolve(nodes.n),
  });
}

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code;

describe("PendingRequests", () => {
  it("completes a request on its last expected answer, even when answers come before the count", () => {
    const r = registry({ n: 3 });
    const done = vi.fn();
    const seen: unknown[] = [];
    r.start("a", (m) => seen.push(m.v), done);
    expect(r.respond("a", { v: 1 })).toBe(true);
    r.expect("a", 2);
    expect(done).not.toHaveBeenCalled();
    r.respond("a", { v: 2 });
    expect(done).toHaveBeenCalledWith(undefined);
    expect(seen).toEqual([1, 2]);
    expect(r.size).toBe(0);
    expect(r.respond("a", { v: 3 })).toBe(false);
  });

  it("is bounded: SB_ERR_REDIS_TOO_MANY_REQUESTS beyond max", () => {
    const r = registry({ n: 2 }, 2);
    r.start(
      "a",
      () => {},
      () => {},
    );
    r.start(
      "b",
      () => {},
      () => {},
    );
    let err: unknown;
    try {
      r.start(
        "c",
        () => {},
        () => {},
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RedisAdapterError);
    expect(codeOf(err)).toBe("SB_ERR_REDIS_TOO_MANY_REQUESTS");
    r.clear(new Error("closed"));
    expect(r.size).toBe(0);
  });

  it("times out with SB_ERR_ADAPTER_REQUEST_TIMEOUT and forgets the request", async () => {
    const r = registry({ n: 2 }, 10, 20);
    const err = await new Promise((resolve) => r.start("a", () => {}, resolve));
    expect(codeOf(err)).toBe("SB_ERR_ADAPTER_REQUEST_TIMEOUT");
    expect(r.size).toBe(0);
  });

  it("a node that leaves is not waited for: the request completes with the answers there are", async () => {
    const nodes = { n: 3 };
    const r = registry(nodes, 10, 60_000);
    const done = new Promise((resolve) => r.start("a", () => {}, resolve));
    r.expect("a", 2);
    r.respond("a", {});
    nodes.n = 2; // one of the two other nodes left
    expect(await done).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it("ack broadcast: nodes that left count 0 clients; forgotten once every ack came", async () => {
    const nodes = { n: 3 };
    const r = registry(nodes, 10, 60_000);
    const counts: number[] = [];
    const acks: unknown[] = [];
    r.startAck(
      "x",
      60_000,
      (n) => counts.push(n),
      (arg) => acks.push(arg),
    );
    r.expectAck("x", 2);
    r.ackCount("x", 1);
    nodes.n = 2;
    await vi.waitFor(() => expect(counts).toEqual([1, 0]));
    expect(r.size).toBe(1); // one ack still announced
    r.ackAnswer("x", "a");
    expect(acks).toEqual(["a"]);
    expect(r.size).toBe(0);
  });

  it("a lost connection fails every request with its error and closes ack broadcasts", async () => {
    const r = registry({ n: 3 }, 10, 60_000);
    const done = new Promise((resolve) => r.start("a", () => {}, resolve));
    const counts: number[] = [];
    r.startAck(
      "x",
      60_000,
      (n) => counts.push(n),
      () => {},
    );
    r.expectAck("x", 2);
    r.failAll(new RedisAdapterError("SB_ERR_REDIS_CONNECTION_LOST", "lost"));
    expect(codeOf(await done)).toBe("SB_ERR_REDIS_CONNECTION_LOST");
    expect(counts).toEqual([0, 0]);
    expect(r.size).toBe(0);
  });
});
