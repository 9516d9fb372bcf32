// Our Emitter against the unmodified @socket.io/redis-emitter 5 (the reference): the same
// calls, made with each, must publish the same bytes on the same channels, as a PSUBSCRIBE
// sees them. Ours runs over each Redis client library; theirs over ioredis.
import { Emitter as SocketIoEmitter } from "@socket.io/redis-emitter";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { Emitter, RedisAdapterError } from "../src/index.js";
import {
  CLIENT_KINDS,
  type ClientPair,
  clientPair,
  redisPort,
  uniqueKey,
} from "./helpers/redis.js";

const WAIT_MS = 5000;

/** The API both emitters share, as the calls below use it. */
interface EmitterLike {
  of(nsp: string): EmitterLike;
  emit(ev: string, ...args: unknown[]): unknown;
  to(room: string | string[]): OperatorLike;
  in(room: string | string[]): OperatorLike;
  except(room: string | string[]): OperatorLike;
  readonly volatile: OperatorLike;
  compress(compress: boolean): OperatorLike;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
  serverSideEmit(ev: string, ...args: unknown[]): unknown;
}

interface OperatorLike {
  to(room: string | string[]): OperatorLike;
  in(room: string | string[]): OperatorLike;
  except(room: string | string[]): OperatorLike;
  readonly volatile: OperatorLike;
  compress(compress: boolean): OperatorLike;
  emit(ev: string, ...args: unknown[]): unknown;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
}

/** Every method and argument shape of the emitter's API, in one sequence. */
const CALLS: Array<(e: EmitterLike) => void> = [
  (e) => e.emit("plain"),
  (e) => e.emit("args", 1, "two", { three: [3, 3.5, null, true] }, [-1, 2 ** 40, -(2 ** 40)]),
  (e) => e.emit("binary", Buffer.from([1, 2, 3]), { nested: Buffer.alloc(300, 9) }),
  (e) => e.emit("undefined and dates", undefined, { u: undefined, d: new Date(1234567) }),
  (e) => e.emit("long", "é".repeat(40_000), new Array(70).fill(0)),
  (e) => e.to("room1").emit("one room"),
  (e) => e.in("room1").to("room1").emit("one room, named twice"),
  (e) => e.to(["a", "b"]).except("c").emit("two rooms"),
  (e) => e.in("x").except(["y", "z"]).to("w").emit("chained"),
  (e) => e.except("c").emit("except only"),
  (e) => e.volatile.emit("volatile"),
  (e) => e.compress(false).emit("compress false"),
  (e) => e.to("r").volatile.compress(true).emit("flags after room"),
  (e) => e.compress(true).volatile.emit("flags other order"),
  (e) => e.of("/admin").emit("admin"),
  (e) => e.of("noslash").to("r").emit("of without slash"),
  (e) => e.of("/admin").of("/other").emit("of of"),
  (e) => e.socketsJoin("room2"),
  (e) => e.in("r").socketsJoin(["room3", "room4"]),
  (e) => e.except("r").socketsLeave("room2"),
  (e) => e.to(["r", "s"]).except("t").socketsLeave(["u", "u"]),
  (e) => e.disconnectSockets(),
  (e) => e.in("r").disconnectSockets(true),
  (e) => e.of("/admin").except("a").disconnectSockets(false),
  (e) => e.serverSideEmit("sse", 1, { two: [2] }, "three"),
  (e) => e.of("/admin").serverSideEmit("sse without args"),
];

interface Heard {
  channel: string;
  hex: string;
}

/** Records every message on `key`'s channels, the key replaced by `K` in the channel name. */
async function listen(key: string): Promise<{ heard: Heard[]; close(): void }> {
  const sub = new Redis({ port: await redisPort(), host: "127.0.0.1" });
  const heard: Heard[] = [];
  sub.on("pmessageBuffer", (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    heard.push({
      channel: `K${channel.toString().slice(key.length)}`,
      hex: message.toString("hex"),
    });
  });
  // Both `key#…` and `key-request#…`.
  await sub.psubscribe(`${key}*`);
  return { heard, close: () => sub.disconnect() };
}

async function record(key: string, make: () => EmitterLike): Promise<Heard[]> {
  const { heard, close } = await listen(key);
  try {
    const emitter = make();
    for (const call of CALLS) call(emitter);
    await expect.poll(() => heard.length, { timeout: WAIT_MS }).toBe(CALLS.length);
    return heard;
  } finally {
    close();
  }
}

describe("Emitter: the bytes of @socket.io/redis-emitter", () => {
  let reference: Redis | undefined;
  let pair: ClientPair | undefined;

  afterEach(async () => {
    reference?.disconnect();
    await pair?.quit();
  });

  for (const kind of CLIENT_KINDS) {
    it(`publishes what the reference publishes, byte for byte (ours on ${kind})`, async () => {
      reference = new Redis({ port: await redisPort(), host: "127.0.0.1" });
      pair = await clientPair(kind);
      const client = pair.pub;
      const theirKey = uniqueKey("ref");
      const ourKey = uniqueKey("our");
      const theirs = await record(
        theirKey,
        () => new SocketIoEmitter(reference!, { key: theirKey }) as unknown as EmitterLike,
      );
      const ours = await record(ourKey, () => new Emitter(client, { key: ourKey }));
      // One by one first: a mismatch names the call.
      for (let i = 0; i < CALLS.length; i++) {
        expect(ours[i], `call ${i}: ${CALLS[i]}`).toEqual(theirs[i]);
      }
      expect(ours).toHaveLength(CALLS.length);
    });
  }

  it("refuses what the reference refuses: acks, reserved names; publishes nothing then", async () => {
    reference = new Redis({ port: await redisPort(), host: "127.0.0.1" });
    const key = uniqueKey("refuse");
    const ours = new Emitter(reference, { key });
    const theirs = new SocketIoEmitter(reference, { key });
    const { heard, close } = await listen(key);
    try {
      const code = (fn: () => unknown) => {
        try {
          fn();
        } catch (err) {
          return (err as { code?: string }).code ?? "thrown without a code";
        }
        return undefined;
      };
      const ack = () => {};
      for (const [call, expected] of [
        [(e: EmitterLike) => e.emit("ev", 1, ack), "SB_ERR_REDIS_ACKS_UNSUPPORTED"],
        [(e: EmitterLike) => e.to("r").emit("ev", ack), "SB_ERR_REDIS_ACKS_UNSUPPORTED"],
        [(e: EmitterLike) => e.serverSideEmit("ev", ack), "SB_ERR_REDIS_ACKS_UNSUPPORTED"],
        [(e: EmitterLike) => e.emit("connect"), "SB_ERR_RESERVED_EVENT"],
        [(e: EmitterLike) => e.to("r").emit("disconnecting"), "SB_ERR_RESERVED_EVENT"],
        [(e: EmitterLike) => e.emit("removeListener"), "SB_ERR_RESERVED_EVENT"],
      ] as const) {
        expect(
          code(() => call(theirs as unknown as EmitterLike)),
          String(call),
        ).toBeDefined();
        expect(
          code(() => call(ours)),
          String(call),
        ).toBe(expected);
      }
      expect(() => ours.emit("ev", ack as never)).toThrow(RedisAdapterError);
      // A marker after them: once it is heard, nothing else was published.
      ours.emit("marker");
      await expect.poll(() => heard.length, { timeout: WAIT_MS }).toBe(1);
      expect(Buffer.from(heard[0]!.hex, "hex").includes("marker")).toBe(true);
    } finally {
      close();
    }
  });

  it("a message emitted while ioredis still connects is queued, not lost (as the reference)", async () => {
    const key = uniqueKey("early");
    const { heard, close } = await listen(key);
    try {
      reference = new Redis({ port: await redisPort(), host: "127.0.0.1" });
      expect(reference.status).not.toBe("ready");
      new Emitter(reference, { key }).emit("early", 1);
      await expect.poll(() => heard.length, { timeout: WAIT_MS }).toBe(1);
    } finally {
      close();
    }
  });

  it("throws TypeError for what is not a Redis client or a bad option", () => {
    expect(() => new Emitter({})).toThrow(TypeError);
    const client = new Redis({ lazyConnect: true });
    expect(() => new Emitter(client, { key: "" })).toThrow(TypeError);
    expect(() => new Emitter(client, { parser: {} as never })).toThrow(TypeError);
  });
});
