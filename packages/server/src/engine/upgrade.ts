import type { EnginePacket } from "@switchboard/protocol";
import createDebug from "debug";
import { engineStats } from "./internal.js";
import type { WebSocketTransport } from "./transports/transport.js";

const debug = createDebug("switchboard:engine:session");

/** What a probe in progress reports to its session. */
export interface UpgradeTarget {
  readonly id: string;
  /** "3probe" went out: the client pauses polling, a held GET is to be answered now. */
  probeAnswered(probe: WebSocketTransport): void;
  /** "5" arrived after "3probe": the session switches to the probe. */
  upgradeTo(probe: WebSocketTransport): void;
  /** An unexpected packet (`"failed"`), or `upgradeTimeout` (`"timeout"`): the probe is to be dropped. */
  probeFailed(outcome: "failed" | "timeout"): void;
}

/**
 * One upgrade in progress (spec "Upgrade"): the probe WebSocket of a polling session, its
 * progress (`"probing"`: waiting for `2probe`; `"probed"`: `3probe` sent, waiting for `5`)
 * and its `upgradeTimeout`. Made when a probe attaches, dropped when the upgrade completes
 * or fails: an idle session holds none.
 */
export class ProbeUpgrade {
  readonly probe: WebSocketTransport;
  #state: "probing" | "probed" = "probing";
  readonly #target: UpgradeTarget;
  #timer: NodeJS.Timeout | null;

  constructor(target: UpgradeTarget, probe: WebSocketTransport, timeoutMs: number) {
    this.#target = target;
    this.probe = probe;
    engineStats.liveTimers++;
    this.#timer = setTimeout(ProbeUpgrade.#onTimeout, timeoutMs, this);
  }

  /** `3probe` was sent: the client has paused polling. */
  get probed(): boolean {
    return this.#state === "probed";
  }

  /** A packet on the probe: `2probe`, then `5`; anything else fails the upgrade. */
  onPacket(packet: EnginePacket): void {
    if (packet.type === "ping" && packet.data === "probe" && this.#state === "probing") {
      this.probe.sendText("3probe");
      this.#state = "probed";
      this.#target.probeAnswered(this.probe);
    } else if (packet.type === "upgrade" && this.#state === "probed") {
      this.stopTimer();
      this.#target.upgradeTo(this.probe);
    } else {
      debug("%s unexpected probe packet %s", this.#target.id, packet.type);
      this.#target.probeFailed("failed");
    }
  }

  /** Clears `upgradeTimeout` (the upgrade completed, or the session is closing). */
  stopTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    engineStats.liveTimers--;
  }

  /** Ends the probe at once: timer cleared, WebSocket terminated. */
  cancel(): void {
    this.stopTimer();
    this.probe.terminate();
  }

  static #onTimeout(u: ProbeUpgrade): void {
    u.#timer = null;
    engineStats.liveTimers--;
    debug("%s upgrade timeout", u.#target.id);
    u.#target.probeFailed("timeout");
  }
}
