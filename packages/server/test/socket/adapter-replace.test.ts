import { describe, expect, it } from "vitest";
import { type AdapterNamespace, InMemoryAdapter, Server } from "../../src/index.js";

describe("io.adapter(ctor) after construction", () => {
  it("closes each namespace's replaced adapter (a cluster adapter would stay subscribed)", async () => {
    const closed: string[] = [];
    class Tracked extends InMemoryAdapter {
      readonly #name: string;
      constructor(nsp: AdapterNamespace) {
        super(nsp);
        this.#name = nsp.name;
      }
      override close(): void {
        closed.push(this.#name);
        super.close();
      }
    }
    const io = new Server({ adapter: Tracked });
    io.of("/chat");
    const first = io.of("/chat").adapter;
    io.adapter(InMemoryAdapter);
    await expect.poll(() => [...closed].sort()).toEqual(["/", "/chat"]);
    expect(io.of("/chat").adapter).not.toBe(first);
    expect(io.of("/chat").adapter).toBeInstanceOf(InMemoryAdapter);
    expect(io.of("/chat").adapter).not.toBeInstanceOf(Tracked);
    await io.close();
    expect(closed).toHaveLength(2);
  });
});
