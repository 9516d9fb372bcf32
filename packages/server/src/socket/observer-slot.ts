import { kSocketObserver, type ObservedSocket, type SocketObserver } from "./internal.js";
import type { DisconnectReason } from "./reasons.js";

/** What holds a socket observer slot (the server). */
export interface SocketObserverHost {
  [kSocketObserver]: SocketObserver | undefined;
}

/** Observers added to each server, in order (metrics and the dashboard may both watch). */
const socketObservers = new WeakMap<SocketObserverHost, SocketObserver[]>();

/**
 * Adds `observer` to the server's slot: alone it sits in the slot itself (the hot paths pay
 * nothing more than with one); with others, one {@link SocketObserverFanout} calls each in
 * turn. Returns the function that removes it again.
 */
export function addSocketObserver(host: SocketObserverHost, observer: SocketObserver): () => void {
  const list = [...(socketObservers.get(host) ?? []), observer];
  socketObservers.set(host, list);
  host[kSocketObserver] = slotFor(list);
  return () => {
    const now = socketObservers.get(host) ?? [];
    const rest = now.filter((o) => o !== observer);
    if (rest.length === now.length) return;
    if (rest.length === 0) socketObservers.delete(host);
    else socketObservers.set(host, rest);
    host[kSocketObserver] = slotFor(rest);
  };
}

function slotFor(list: readonly SocketObserver[]): SocketObserver | undefined {
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : new SocketObserverFanout(list);
}

/** Several observers in one slot, called in the order they were added. */
class SocketObserverFanout implements SocketObserver {
  readonly #list: readonly SocketObserver[];
  constructor(list: readonly SocketObserver[]) {
    this.#list = list;
  }
  connected(socket: ObservedSocket): void {
    for (const o of this.#list) o.connected(socket);
  }
  disconnected(socket: ObservedSocket, reason: DisconnectReason): void {
    for (const o of this.#list) o.disconnected(socket, reason);
  }
  event(name: string, nsp: string): void {
    for (const o of this.#list) o.event(name, nsp);
  }
  ack(ack: (...args: unknown[]) => void, errorFirst: boolean): (...args: unknown[]) => void {
    // Each wraps the previous one's ack: every observer times the same round trip.
    let wrapped = ack;
    for (const o of this.#list) wrapped = o.ack(wrapped, errorFirst);
    return wrapped;
  }
}

/** Namespaces of each server that observers leave out (the dashboard's own), by name. */
const hidden = new WeakMap<SocketObserverHost, Set<string>>();

/**
 * The namespaces of `host` that observers leave out of what they count (the dashboard's own
 * namespace, so its page's requests and sockets do not show in the app's metrics). The set
 * is live: observers keep it and read it on each call.
 */
export function hiddenNamespaces(host: SocketObserverHost): ReadonlySet<string> {
  let set = hidden.get(host);
  if (set === undefined) {
    set = new Set();
    hidden.set(host, set);
  }
  return set;
}

/** Leaves namespace `name` of `host` out of the observers' counts; returns the undo. */
export function hideNamespace(host: SocketObserverHost, name: string): () => void {
  const set = hiddenNamespaces(host) as Set<string>;
  set.add(name);
  return () => {
    set.delete(name);
  };
}
