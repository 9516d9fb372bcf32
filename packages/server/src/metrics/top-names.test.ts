import { describe, expect, it } from "vitest";
import { TopNames } from "./top-names.js";

describe("TopNames", () => {
  it("gives the first `size` names a counter each, counts the rest as other", () => {
    const top = new TopNames(2);
    for (const name of ["a", "b", "a", "c", "d", "c"]) top.add(name);
    expect(Object.fromEntries([...top.entries()].map(([n, [total]]) => [n, total]))).toEqual({
      a: 2,
      b: 1,
    });
    expect(top.other).toBe(3);
  });

  it("promotes a candidate more frequent than the weakest tracked name at rebalance", () => {
    const top = new TopNames(2);
    top.add("a");
    top.add("a");
    top.add("b");
    for (let i = 0; i < 5; i++) top.add("hot");
    top.rebalance();
    expect([...top.entries()].map(([n]) => n).sort()).toEqual(["a", "hot"]);
    // Counts before the promotion stay in "other": every series only grows.
    expect(top.other).toBe(5);
    top.add("hot");
    expect(new Map(top.entries()).get("hot")?.[0]).toBe(1);
  });

  it("keeps a tracked name that stays more frequent than the candidates", () => {
    const top = new TopNames(1);
    for (let i = 0; i < 10; i++) top.add("steady");
    for (let i = 0; i < 3; i++) top.add("noise");
    top.rebalance();
    expect([...top.entries()].map(([n]) => n)).toEqual(["steady"]);
  });

  it("holds at most 5 × size names whatever arrives (hostile names)", () => {
    const top = new TopNames(10);
    for (let i = 0; i < 100_000; i++) top.add(`name-${i}`);
    expect(top.held).toBeLessThanOrEqual(50);
    expect(top.other + [...top.entries()].reduce((n, [, [t]]) => n + t, 0)).toBe(100_000);
    top.rebalance();
    expect(top.held).toBeLessThanOrEqual(10);
  });

  it("counts a name demoted at rebalance as other, even right after counting it", () => {
    const top = new TopNames(1);
    top.add("cold"); // tracked, and the last name counted
    for (let i = 0; i < 3; i++) top.add("hot");
    top.add("cold"); // last name again: its own counter
    top.add("hot");
    top.add("hot");
    top.add("cold");
    top.rebalance(); // "hot" (5 since the last rebalance) takes the place of "cold" (3)
    expect([...top.entries()].map(([n]) => n)).toEqual(["hot"]);
    const other = top.other;
    top.add("cold");
    top.add("cold");
    expect(top.other).toBe(other + 2);
    expect(new Map(top.entries()).get("hot")?.[0]).toBe(0);
  });
});
