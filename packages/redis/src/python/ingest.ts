import type { Adapter } from "@switchboard/server";
import debugModule from "debug";
import type { ExternalBroadcasts } from "../recovery/recovery-adapter.js";
import type { MessageListener, RedisClient } from "../redis-client.js";
import { applyPythonCommand, parsePythonMessage } from "./messages.js";

const debug = debugModule("switchboard:redis:python");

/** Bounds on the messages of the Python channel. */
export interface PythonIngestLimits {
  /** Messages larger than this are dropped unread. Default 1 MiB. */
  maxBytes: number;
}

/**
 * The node's one subscription to the channel python-socketio's `RedisManager` (default
 * channel `"socketio"`) or Flask-SocketIO's `message_queue` (`"flask-socketio"`) publish on:
 * each message is read ({@link parsePythonMessage}: pickle restricted to plain data, or
 * JSON) and carried out on the sockets of this node, in the namespace it names, by that
 * namespace's adapter. Messages for a namespace this node does not have are ignored, as
 * python-socketio's own nodes ignore them. A message that cannot be read is dropped and
 * debug-logged with its code (`DEBUG=switchboard:redis:python`); it never throws into the
 * subscriber, so other traffic goes on.
 *
 * Adapters register when they start and leave when they close; the channel is subscribed
 * while at least one is registered.
 */
export class PythonIngest {
  readonly #sub: RedisClient;
  readonly #channel: string;
  readonly #limits: PythonIngestLimits;
  readonly #adapters = new Map<string, Adapter>();

  constructor(sub: RedisClient, channel: string, limits: PythonIngestLimits) {
    this.#sub = sub;
    this.#channel = channel;
    this.#limits = limits;
  }

  /** Carries out the channel's messages for `adapter`'s namespace from now on. */
  add(adapter: Adapter): void {
    const first = this.#adapters.size === 0;
    this.#adapters.set(adapter.nsp.name, adapter);
    if (first) {
      this.#sub.subscribe(this.#channel, this.#onMessage).catch((err: unknown) => {
        debug("subscribe %s failed: %s", this.#channel, err);
      });
    }
  }

  /** Stops carrying out messages for `adapter`'s namespace. */
  delete(adapter: Adapter): void {
    if (this.#adapters.get(adapter.nsp.name) !== adapter) return;
    this.#adapters.delete(adapter.nsp.name);
    if (this.#adapters.size === 0) {
      this.#sub.unsubscribe(this.#channel, this.#onMessage).catch((err: unknown) => {
        debug("unsubscribe %s failed: %s", this.#channel, err);
      });
    }
  }

  readonly #onMessage: MessageListener = (channel, payload) => {
    if (payload.length > this.#limits.maxBytes) {
      this.#drop("SB_ERR_PYTHON_TOO_LARGE", `${payload.length} bytes on ${channel}`);
      return;
    }
    try {
      const command = parsePythonMessage(payload, { maxBytes: this.#limits.maxBytes });
      if (command.method === "callback") return;
      const adapter = this.#adapters.get(command.namespace);
      if (adapter === undefined) {
        debug("ignored %s for namespace %s (not on this node)", command.method, command.namespace);
        return;
      }
      const external = (adapter as Partial<ExternalBroadcasts>).receiveExternal;
      if (command.method === "emit" && typeof external === "function") {
        // Every node gets this message: with cluster recovery it enters the log once.
        external.call(
          adapter,
          { type: 2, nsp: adapter.nsp.name, data: [command.event, ...command.args] },
          { rooms: new Set(command.rooms), except: new Set(command.except ?? []) },
          channel,
          payload,
        );
        return;
      }
      applyPythonCommand(adapter, command);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.#drop(typeof code === "string" ? code : "SB_ERR_PYTHON_FAILED", String(err));
    }
  };

  #drop(code: string, why: string): void {
    debug("dropped a message on %s: %s %s", this.#channel, code, why);
  }
}
