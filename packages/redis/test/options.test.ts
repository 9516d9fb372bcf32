// createAdapter's options and clients are checked at once, with a TypeError.

import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createAdapter, createShardedAdapter } from "../src/index.js";
import { DEFAULTS, resolveOptions } from "../src/options.js";

describe("createAdapter options", () => {
  it("defaults as @socket.io/redis-adapter's", () => {
    expect(resolveOptions({})).toMatchObject({
      key: "socket.io",
      requestsTimeout: 5000,
      publishOnSpecificResponseChannel: false,
    });
    expect(resolveOptions({ key: "k", requestsTimeout: undefined })).toEqual({
      ...DEFAULTS,
      key: "k",
    });
  });

  it.each([
    [{ key: "" }],
    [{ requestsTimeout: 0 }],
    [{ requestsTimeout: Number.POSITIVE_INFINITY }],
    [{ maxPendingRequests: -1 }],
    [{ maxMessageBytes: Number.NaN }],
    [{ nodeCheckInterval: 0 }],
    [{ lagProbeInterval: -1 }],
    [{ lagProbeInterval: Number.NaN }],
    [{ lagProbeInterval: Number.POSITIVE_INFINITY }],
    // as JavaScript callers may pass it
    [JSON.parse('{"parser":{"encode":1}}')],
  ])("refuses %j", (options) => {
    expect(() => resolveOptions(options)).toThrow(TypeError);
  });

  it("probes the publish lag every 5 s by default, never with lagProbeInterval 0", () => {
    expect(resolveOptions({}).lagProbeInterval).toBe(5000);
    expect(resolveOptions({ lagProbeInterval: 0 }).lagProbeInterval).toBe(0);
  });

  it("refuses objects that are no Redis client", () => {
    expect(() => createAdapter({}, {})).toThrow(TypeError);
    expect(() => createAdapter({ publish() {} }, { subscribe() {} })).toThrow(TypeError);
  });
});

describe("createShardedAdapter lagProbeInterval", () => {
  it("takes 0 (off) and a positive interval, refuses a negative or non-finite one", () => {
    const client = new Redis({ lazyConnect: true });
    try {
      expect(() => createShardedAdapter(client, client, { lagProbeInterval: 0 })).not.toThrow();
      expect(() => createShardedAdapter(client, client, { lagProbeInterval: 250 })).not.toThrow();
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createShardedAdapter(client, client, { lagProbeInterval: bad })).toThrow(
          TypeError,
        );
      }
    } finally {
      client.disconnect();
    }
  });
});
