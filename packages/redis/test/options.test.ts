// createAdapter's options and clients are checked at once, with a TypeError.
import { describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
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
    // as JavaScript callers may pass it
    [JSON.parse('{"parser":{"encode":1}}')],
  ])("refuses %j", (options) => {
    expect(() => resolveOptions(options)).toThrow(TypeError);
  });

  it("refuses objects that are no Redis client", () => {
    expect(() => createAdapter({}, {})).toThrow(TypeError);
    expect(() => createAdapter({ publish() {} }, { subscribe() {} })).toThrow(TypeError);
  });
});
