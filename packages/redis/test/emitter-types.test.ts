// The Emitter is typed with the shared event maps, as the server's emit and serverSideEmit:
// checked by the type checker (the test script type-checks tests), nothing is published.
import { Redis } from "ioredis";
import { describe, expectTypeOf, it } from "vitest";
import { Emitter, type EmitterBroadcast } from "../src/index.js";

interface ToClients {
  news(title: string, body: Buffer): void;
  count(n: number): void;
  withAck(n: number, cb: (ok: boolean) => void): void;
}

interface BetweenServers {
  reload(config: { v: number }): void;
}

describe("Emitter types", () => {
  it("emit and serverSideEmit take the events of their maps, acks excluded", () => {
    const emitter = new Emitter<ToClients, BetweenServers>(new Redis({ lazyConnect: true }));
    expectTypeOf(emitter.to("r")).toEqualTypeOf<EmitterBroadcast<ToClients>>();
    expectTypeOf(emitter.of("/admin")).toEqualTypeOf<Emitter<ToClients, BetweenServers>>();
    const check = () => {
      emitter.emit("news", "title", Buffer.from("body"));
      emitter.to("r").except("s").volatile.emit("count", 1);
      emitter.serverSideEmit("reload", { v: 2 });
      // @ts-expect-error wrong argument type
      emitter.emit("count", "one");
      // @ts-expect-error an event with an ack cannot be emitted (nobody could answer)
      emitter.emit("withAck", 1, () => {});
      // @ts-expect-error not an event of the map
      emitter.to("r").emit("unknown");
      // @ts-expect-error not a server-side event
      emitter.serverSideEmit("news", "t", Buffer.alloc(0));
    };
    expectTypeOf(check).toBeFunction();
  });

  it("untyped: any event, any arguments", () => {
    const emitter = new Emitter(new Redis({ lazyConnect: true }));
    const check = () => {
      emitter.emit("anything", 1, "two", { three: 3 });
      emitter.serverSideEmit("whatever", [1]);
    };
    expectTypeOf(check).toBeFunction();
  });
});
