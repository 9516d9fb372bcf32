import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import { shareInstanceCheck } from "./shared-instance-check.js";

// Two class declarations with one key stand for the ESM and the CommonJS copy of a package
// loaded in one process (the packaging test checks the real pair from the packed tarballs).
function copyOf(key: string) {
  return class Failure extends Error {
    static {
      shareInstanceCheck(Failure, key);
    }
    readonly code = "SB_ERR_X";
  };
}

describe("shareInstanceCheck", () => {
  it("makes instanceof true across two copies of a class with one key", () => {
    const EsmCopy = copyOf("test.Failure");
    const CjsCopy = copyOf("test.Failure");
    expect(EsmCopy).not.toBe(CjsCopy);
    expect(new CjsCopy() instanceof EsmCopy).toBe(true);
    expect(new EsmCopy() instanceof CjsCopy).toBe(true);
  });

  it("keeps other values, other keys and plain errors out", () => {
    const A = copyOf("test.A");
    const B = copyOf("test.B");
    expect(new B() instanceof A).toBe(false);
    for (const value of [new Error("x"), {}, null, undefined, "test.A", 1, Object.create(null)]) {
      expect(value instanceof A).toBe(false);
    }
  });

  it("leaves a subclass with the ordinary prototype-chain test", () => {
    const Base = copyOf("test.Base");
    class Narrow extends Base {}
    const OtherBase = copyOf("test.Base");
    expect(new Narrow() instanceof Narrow).toBe(true);
    expect(new Narrow() instanceof Base).toBe(true);
    expect(new Narrow() instanceof OtherBase).toBe(true);
    expect(new Base() instanceof Narrow).toBe(false);
    expect(new OtherBase() instanceof Narrow).toBe(false);
  });

  it("is applied to ProtocolError", () => {
    const ForeignCopy = copyOf("switchboard.ProtocolError");
    expect(new ForeignCopy() instanceof ProtocolError).toBe(true);
    expect(new ProtocolError(ProtocolErrorCode.INVALID_PACKET, "x") instanceof Error).toBe(true);
  });
});
