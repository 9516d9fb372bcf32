import { describe, expect, it } from "vitest";
import { Emitter } from "./emitter.js";

describe("Emitter", () => {
  it("calls listeners in order, once, and removes them", () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    const a = (x: string) => calls.push(`a${x}`);
    const b = (x: string) => calls.push(`b${x}`);
    emitter.on("e", a);
    emitter.once("e", b);
    emitter.emit("e", 1);
    emitter.emit("e", 2);
    expect(calls).toEqual(["a1", "b1", "a2"]);
    emitter.once("e", b);
    emitter.off("e", b); // removes a once-listener by its original function
    emitter.off("e", a);
    emitter.emit("e", 3);
    expect(calls).toEqual(["a1", "b1", "a2"]);
    expect(emitter.hasListeners("e")).toBe(false);
  });

  it("does not skip listeners when one removes itself while emitting", () => {
    const emitter = new Emitter();
    const calls: number[] = [];
    const first = () => {
      calls.push(1);
      emitter.off("e", first);
    };
    emitter.on("e", first);
    emitter.on("e", () => calls.push(2));
    emitter.emit("e");
    expect(calls).toEqual([1, 2]);
    expect(emitter.listeners("e").length).toBe(1);
    emitter.off();
    expect(emitter.listeners("e")).toEqual([]);
  });

  it("keeps events named like Object.prototype members apart", () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    expect(emitter.hasListeners("constructor")).toBe(false);
    expect(emitter.listeners("toString")).toEqual([]);
    emitter.emit("hasOwnProperty"); // no listener: nothing is called
    emitter.on("__proto__", (x: string) => calls.push(`proto${x}`));
    emitter.on("constructor", (x: string) => calls.push(`ctor${x}`));
    emitter.emit("__proto__", 1);
    emitter.emit("constructor", 2);
    expect(calls).toEqual(["proto1", "ctor2"]);
    expect(emitter.hasListeners("__proto__")).toBe(true);
    emitter.off("__proto__");
    expect(emitter.hasListeners("__proto__")).toBe(false);
    expect(emitter.hasListeners("constructor")).toBe(true);
  });

  it("removes one of several listeners by position and keeps the order", () => {
    const emitter = new Emitter();
    const calls: number[] = [];
    const fns = [0, 1, 2, 3].map((n) => () => calls.push(n));
    for (const fn of fns) emitter.on("e", fn);
    emitter.on("e", fns[1]!); // the same function twice: off removes the first
    emitter.off("e", fns[1]!);
    emitter.emit("e");
    expect(calls).toEqual([0, 2, 3, 1]);
    emitter.off("e", fns[0]!).off("e", fns[2]!).off("e", fns[3]!);
    expect(emitter.listeners("e")).toEqual([fns[1]]);
    emitter.off("e", fns[1]!);
    expect(emitter.hasListeners("e")).toBe(false);
    emitter.off("e", fns[1]!); // nothing left: no-op
  });

  it("calls a listener added during an emit from the next emit on", () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    emitter.once("e", () => {
      calls.push("first");
      emitter.on("e", () => calls.push("late"));
    });
    emitter.emit("e");
    expect(calls).toEqual(["first"]);
    emitter.emit("e");
    expect(calls).toEqual(["first", "late"]);
  });
});
