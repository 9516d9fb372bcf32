import { describe, expect, it } from "vitest";
import { PinStore, parsePinInput } from "../../src/lib/pin-store.js";

describe("parsePinInput", () => {
  it("accepts coordinates in range and rounds them", () => {
    expect(parsePinInput({ lon: 2.352222, lat: 48.856613, label: "  Paris " })).toEqual({
      lon: 2.3522,
      lat: 48.8566,
      label: "Paris",
    });
    expect(parsePinInput({ lon: -180, lat: 90 })).toEqual({ lon: -180, lat: 90, label: "" });
  });

  it.each([
    null,
    [],
    { lat: 1 },
    { lon: 181, lat: 0 },
    { lon: 0, lat: -90.01 },
    { lon: Number.NaN, lat: 0 },
    { lon: Number.POSITIVE_INFINITY, lat: 0 },
    { lon: "1", lat: 0 },
    { lon: 0, lat: 0, label: 5 },
  ])("refuses %j", (input) => {
    expect(typeof parsePinInput(input)).toBe("string");
  });

  it("strips control characters and bounds the label", () => {
    const parsed = parsePinInput({ lon: 0, lat: 0, label: `a\u0000b${"c".repeat(100)}` });
    expect(typeof parsed === "object" && parsed.label).toBe(`ab${"c".repeat(38)}`);
  });
});

describe("PinStore", () => {
  it("keeps one pin per owner with a stable random id, and removes it", () => {
    const pins = new PinStore();
    const first = pins.set("sock1", { lon: 1, lat: 2 });
    if (!first.ok) throw new Error(first.error);
    expect(first.pin.id).toMatch(/^[0-9a-f]{12}$/);
    expect(first.pin.id).not.toContain("sock1");
    const moved = pins.set("sock1", { lon: 3, lat: 4, label: "x" });
    expect(moved).toMatchObject({
      ok: true,
      pin: { id: first.pin.id, lon: 3, lat: 4, label: "x" },
    });
    pins.set("sock2", { lon: 5, lat: 6 });
    expect(pins.size).toBe(2);
    expect(pins.set("sock3", { lon: 500, lat: 0 })).toMatchObject({ ok: false });
    expect(pins.size).toBe(2);
    expect(pins.remove("sock1")).toMatchObject({ id: first.pin.id });
    expect(pins.remove("sock1")).toBeUndefined();
    expect(pins.list()).toHaveLength(1);
  });
});
