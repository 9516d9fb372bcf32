import type { DefaultEventsMap, EventsMap, SocketPacket } from "@switchboard/protocol";
import type { Emitter } from "../emitter.js";

// What a Socket needs of its Manager, in a module that imports neither: the Manager
// implements these and hands them to the Sockets it creates (manager.ts → socket.ts → here).

/**
 * The Manager a Socket runs on (`socket.io`), as this module knows it: an emitter of the
 * Manager's events (`open`, `packet`, `error`, `close`). manager.ts widens it to the whole
 * Manager by declaration merging (`interface SocketManager extends Manager`), so `socket.io`
 * has the Manager's full public type while the imports go one way: manager.ts imports
 * socket.ts and this module, and neither of them imports manager.ts, not even for types.
 */
export interface SocketManager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: the Manager's type parameters, for the merge in manager.ts
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter {}

/**
 * What a Socket may ask of its Manager beyond the Manager's public API. The Manager class
 * holds one link for all its instances (functions of the Manager's private state that take
 * the Manager first, so a Manager costs no closures for it) and hands it to each Socket it
 * creates; the package does not export it.
 */
export interface ManagerLink {
  /** Encodes and writes a packet on the current connection (dropped when there is none). */
  linkPacket(manager: SocketManager, packet: SocketPacket, compress?: boolean): void;
  /** `socket` no longer uses the connection: closes it when no other Socket is active. */
  linkDestroy(manager: SocketManager, socket: object): void;
  /** Opens the connection unless a reconnection is pending; whether it is open now. */
  linkOpen(manager: SocketManager): boolean;
  /** Whether the current transport can write now (a `volatile` emit is dropped otherwise). */
  linkWritable(manager: SocketManager): boolean;
}
