import type { EnginePacket } from "@switchboard/protocol";
import type { PreparedMessage } from "./framing.js";

/**
 * How an upgrade attempt ended (spec "Upgrade"): `"success"` (the session moved to the
 * WebSocket), `"timeout"` (no `2probe`/`5` within `upgradeTimeout`), `"failed"` (an
 * unexpected or undecodable packet on the probe), `"closed"` (the probe closed, or the
 * session closed, before the upgrade completed), `"refused"` (a second WebSocket for a
 * session that cannot take one, closed with 1008).
 */
export type UpgradeOutcome = "success" | "timeout" | "failed" | "closed" | "refused";

/**
 * What the engine tells a metrics collector (`@switchboard/server/metrics`), called where
 * the thing happens. An engine server holds one under {@link kEngineObserver}, or none:
 * without one, each call site costs one property load and a comparison, and nothing is
 * kept per session.
 */
export interface EngineObserver {
  /**
   * An Engine.IO packet arrived on a session's current transport (before it is handled).
   * `bytes`: its size on the wire when the transport knows it (a WebSocket frame's
   * length), `-1` when not (packets of a polling payload): the observer computes it.
   */
  received(packet: EnginePacket, bytes: number): void;
  /** A packet was queued for sending (messages, and the pings, pongs, noops of the engine). */
  sent(message: PreparedMessage): void;
  /** `count` messages of a volatile send were dropped: the transport could not write them. */
  volatileDropped(count: number): void;
  /** A session closed, for `reason` (an `EngineCloseReason` string). */
  closed(reason: string): void;
  /** An upgrade attempt ended. */
  upgrade(outcome: UpgradeOutcome): void;
}

/** The engine server's observer slot (module-internal: not re-exported by the package entry). */
export const kEngineObserver = Symbol("switchboard.engineObserver");

/** What holds an engine observer slot (the engine server). */
export interface EngineObserverHost {
  [kEngineObserver]: EngineObserver | undefined;
}

/** Observers added to each host, in order (one host can serve metrics and the dashboard). */
const engineObservers = new WeakMap<EngineObserverHost, EngineObserver[]>();

/**
 * Adds `observer` to the host's slot: alone it sits in the slot itself (no indirection on
 * the hot paths); with others, one {@link EngineObserverFanout} calls each in turn. Returns
 * the function that removes it again.
 */
export function addEngineObserver(host: EngineObserverHost, observer: EngineObserver): () => void {
  const list = [...(engineObservers.get(host) ?? []), observer];
  engineObservers.set(host, list);
  host[kEngineObserver] = slotFor(list);
  return () => {
    const now = engineObservers.get(host) ?? [];
    const rest = now.filter((o) => o !== observer);
    if (rest.length === now.length) return;
    if (rest.length === 0) engineObservers.delete(host);
    else engineObservers.set(host, rest);
    host[kEngineObserver] = slotFor(rest);
  };
}

function slotFor(list: readonly EngineObserver[]): EngineObserver | undefined {
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : new EngineObserverFanout(list);
}

/** Several observers in one slot, called in the order they were added. */
class EngineObserverFanout implements EngineObserver {
  readonly #list: readonly EngineObserver[];
  constructor(list: readonly EngineObserver[]) {
    this.#list = list;
  }
  received(packet: EnginePacket, bytes: number): void {
    for (const o of this.#list) o.received(packet, bytes);
  }
  sent(message: PreparedMessage): void {
    for (const o of this.#list) o.sent(message);
  }
  volatileDropped(count: number): void {
    for (const o of this.#list) o.volatileDropped(count);
  }
  closed(reason: string): void {
    for (const o of this.#list) o.closed(reason);
  }
  upgrade(outcome: UpgradeOutcome): void {
    for (const o of this.#list) o.upgrade(outcome);
  }
}
