import { randomBytes } from "node:crypto";
import { asRecord } from "./bytes.js";

/** A participant's pin as every admin map draws it. */
export interface Pin {
  id: string;
  lon: number;
  lat: number;
  label: string;
}

export const MAX_LABEL_LENGTH = 40;

/** Validates untrusted `{lon, lat, label?}`; returns an error string when invalid. */
export function parsePinInput(
  value: unknown,
): { lon: number; lat: number; label: string } | string {
  const input = asRecord(value);
  if (!input) return "pin must be an object";
  const { lon, lat, label } = input;
  if (typeof lon !== "number" || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    return "lon must be a number between -180 and 180";
  }
  if (typeof lat !== "number" || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    return "lat must be a number between -90 and 90";
  }
  let text = "";
  if (label !== undefined && label !== null) {
    if (typeof label !== "string") return "label must be a string";
    text = label
      .replace(/[\u0000-\u001f\u007f]/g, "")
      .trim()
      .slice(0, MAX_LABEL_LENGTH);
  }
  const round = (n: number) => Math.round(n * 1e4) / 1e4;
  return { lon: round(lon), lat: round(lat), label: text };
}

/**
 * One pin per participant (keyed by an owner such as a socket id). The pin id shown to
 * admins is random, so socket ids never leave the server.
 */
export class PinStore {
  readonly #pins = new Map<string, Pin>();

  get size(): number {
    return this.#pins.size;
  }

  set(owner: string, input: unknown): { ok: true; pin: Pin } | { ok: false; error: string } {
    const parsed = parsePinInput(input);
    if (typeof parsed === "string") return { ok: false, error: parsed };
    const id = this.#pins.get(owner)?.id ?? randomBytes(6).toString("hex");
    const pin: Pin = { id, ...parsed };
    this.#pins.set(owner, pin);
    return { ok: true, pin };
  }

  get(owner: string): Pin | undefined {
    return this.#pins.get(owner);
  }

  /** Removes the owner's pin and returns it (so its removal can be announced). */
  remove(owner: string): Pin | undefined {
    const pin = this.#pins.get(owner);
    this.#pins.delete(owner);
    return pin;
  }

  list(): Pin[] {
    return [...this.#pins.values()];
  }
}
