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
});
