import type { EventsMap, SocketPacket } from "@switchboard/protocol";
import type { DisconnectReason } from "./reasons.js";
import type { ResolvedServerOptions } from "./server-options.js";
import type { SocketId } from "./types.js";

/**
 * Symbols for collaboration between Server, Namespace, Socket and Client. Not re-exported
 * by the package entry: they are not public API.
 */

/** Socket: handle a decoded packet addressed to it. */
export const kOnPacket = Symbol("switchboard.onPacket");
/** Socket: it closed (reason, description). */
export const kOnClose = Symbol("switchboard.onClose");
/** Socket: hand an error to its `error` listeners; false when it has none. */
export const kReportError = Symbol("switchboard.reportError");
/** Socket: it was accepted; join its own room and answer CONNECT. */
export const kOnConnect = Symbol("switchboard.onConnect");
/** Namespace: add a socket for a CONNECT (client, auth). */
export const kAdd = Symbol("switchboard.add");
/** Namespace: a socket passed its middlewares; register it, answer CONNECT, emit connection. */
export const kAccept = Symbol("switchboard.accept");
/** Namespace: forget a closed socket. */
export const kRemove = Symbol("switchboard.remove");
/** Server: find or create the namespace for a CONNECT (name, auth). */
export const kResolveNamespace = Symbol("switchboard.resolveNamespace");
/** Server: the resolved options. */
export const kOptions = Symbol("switchboard.options");
/** Server: a Client closed. */
export const kClientClosed = Symbol("switchboard.clientClosed");
/** Client: an Engine.IO v3 connection opened; join "/" as socket.io 2.x clients expect. */
export const kEio3Open = Symbol("switchboard.eio3Open");
/** Namespace: (re)create its adapter from the server's adapter option. */
export const kInitAdapter = Symbol("switchboard.initAdapter");
/** Socket: tell its client an event was refused (validation, rate limit). */
export const kRefuse = Symbol("switchboard.refuse");
/** Namespace: its schema table and rate limit, read by its sockets for each event. */
export const kGuards = Symbol("switchboard.guards");
/** Namespace: its presence registry, made on first use. */
export const kPresence = Symbol("switchboard.presence");
/** Namespace: its presence registry if it was made (no creation). */
export const kPresenceIfAny = Symbol("switchboard.presenceIfAny");
/** Server: a socket's session is being persisted (the adapter's promise); a drain waits for it. */
export const kPersisting = Symbol("switchboard.persisting");
/** Client: encode a packet with the server's parser (the built-in codec or the `parser` option). */
export const kEncode = Symbol("switchboard.encode");

/**
 * The classes at the top of the socket layer, by name, for the modules below them. Imports
 * point one way (server → parent-namespace → namespace → socket → broadcast-operator →
 * remote-socket → acks), yet the public types point back up: `socket.nsp` is a Namespace and
 * `nsp.server` a Server. socket.ts and namespace.ts name those classes through this
 * interface, which namespace.ts and server.ts complete (declaration merging): the types stay
 * exact, and no file imports a file that imports it.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging (a type alias cannot be)
export interface SocketLayerClasses<
  // biome-ignore lint/correctness/noUnusedVariables: used by the merged declarations
  ListenEvents extends EventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: idem
  EmitEvents extends EventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: idem
  ServerSideEvents extends EventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: idem
  SocketData,
> {}

/** `Namespace<L, E, S, D>`, named without importing namespace.ts. */
export type NamespaceOf<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = SocketLayerClasses<ListenEvents, EmitEvents, ServerSideEvents, SocketData>["namespace"];

/** `Server<L, E, S, D>`, named without importing server.ts. */
export type ServerOf<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = SocketLayerClasses<ListenEvents, EmitEvents, ServerSideEvents, SocketData>["server"];

/**
 * What a Client needs of the socket it routes packets to (Socket implements it). The
 * Client sits below Server, Namespace and Socket in the import graph: it knows them only
 * through this interface, {@link ClientNamespace} and {@link ClientHost}.
 */
export interface ClientSocket {
  readonly id: SocketId;
  readonly nsp: { readonly name: string };
  disconnect(): unknown;
  [kOnPacket](packet: SocketPacket): void;
  [kOnClose](reason: DisconnectReason, description?: unknown): void;
}

/** Outcome of a CONNECT: on success, the client hands the socket back through `kAccept`. */
export type AddResult =
  | { ok: true; socket: ClientSocket }
  | { ok: false; error: { message: string; data?: unknown } };

/** What a Client (`C`, client.ts's class) needs of a namespace (Namespace implements it). */
export interface ClientNamespace<C> {
  readonly adapter: { delAll(id: SocketId): void };
  [kAdd](client: C, auth: Record<string, unknown>): AddResult | Promise<AddResult>;
  [kAccept](socket: ClientSocket): void;
  [kRemove](socket?: ClientSocket): void;
}

/** What a Client (`C`) needs of its server (Server implements it). */
export interface ClientHost<C> {
  readonly namespaces: ReadonlyMap<string, ClientNamespace<C>>;
  readonly [kOptions]: ResolvedServerOptions;
  [kResolveNamespace](
    name: string,
    auth: Record<string, unknown>,
  ): Promise<ClientNamespace<C> | null>;
  [kClientClosed](client: C): void;
}

/** Server: the metrics collector's hooks (`@switchboard/server/metrics`), or undefined. */
export const kSocketObserver = Symbol("switchboard.socketObserver");

/**
 * What the socket layer tells a metrics collector, called where the thing happens. A server
 * holds one under {@link kSocketObserver}, or none: without one, each call site costs a
 * property load and a comparison, and nothing is kept per socket.
 */
export interface SocketObserver {
  /** A socket was accepted in its namespace (`recovered` tells a restored session). */
  connected(socket: ObservedSocket): void;
  /** A socket disconnected. */
  disconnected(socket: ObservedSocket, reason: DisconnectReason): void;
  /** An event arrived from a client (name checked: a string, not reserved), on namespace `nsp`. */
  event(name: string, nsp: string): void;
  /**
   * `socket.emit(…, ack)`: the ack to register instead, which reports the round trip.
   * `errorFirst`: the registry calls it `(err, …answer)` (a timeout applies).
   */
  ack(ack: (...args: unknown[]) => void, errorFirst: boolean): (...args: unknown[]) => void;
}

/** What a {@link SocketObserver} reads of a socket. */
export interface ObservedSocket {
  readonly id: string;
  readonly nsp: { readonly name: string; readonly connectionStateRecovery: unknown };
  readonly handshake: { readonly auth: Readonly<Record<string, unknown>> };
  readonly recovered: boolean;
}
