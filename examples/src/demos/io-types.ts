/**
 * The slice of the socket.io-compatible server API the demos use. Written as small
 * structural types so each demo module states exactly what it needs; the
 * `@switchboard/server` Namespace and Socket satisfy them.
 */

import type { EventSchemas, Presence, RateLimitOptions, SocketPresence } from "@switchboard/server";

/** An acknowledgement callback as passed by the server for `emit(..., ack)` on the client. */
export type Ack = (response: unknown) => void;

export interface Emitter {
  // biome-ignore lint/suspicious/noExplicitAny: event arguments are whatever the demo sends
  emit(event: string, ...args: any[]): unknown;
}

export interface DemoSocket extends Emitter {
  readonly id: string;
  readonly handshake: {
    readonly auth: Record<string, unknown>;
    // biome-ignore lint/suspicious/noExplicitAny: query values are strings or string arrays
    readonly query: Record<string, any>;
    /** The remote address. */
    readonly address: string;
  };
  /** The engine connection (its current transport, for the logs). */
  readonly conn: { readonly transport: { readonly name: string } };
  // biome-ignore lint/suspicious/noExplicitAny: socket.data is free-form per demo
  data: any;
  readonly rooms: ReadonlySet<string>;
  // biome-ignore lint/suspicious/noExplicitAny: listeners receive untrusted client arguments
  on(event: string, listener: (...args: any[]) => void): unknown;
  join(room: string): unknown;
  leave(room: string): unknown;
  to(room: string): Emitter;
  readonly broadcast: Emitter;
  disconnect(close?: boolean): unknown;
  /** This socket's presence (issue 18). */
  readonly presence: Pick<SocketPresence, "track" | "update" | "untrack">;
}

/** A socket as `fetchSockets()` returns it: on this node or on another one of the cluster. */
export interface DemoRemoteSocket {
  readonly id: string;
  // biome-ignore lint/suspicious/noExplicitAny: socket.data is free-form per demo
  readonly data: any;
}

export interface DemoNamespace extends Emitter {
  readonly name: string;
  /** Every socket of the namespace, on every node of a cluster. */
  fetchSockets(): Promise<DemoRemoteSocket[]>;
  /** Emits to this node's sockets only (with a cluster adapter; everyone otherwise). */
  readonly local: Emitter;
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's middleware signature
  use(fn: (socket: any, next: (err?: Error) => void) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the connection listener receives a Socket
  on(event: "connection", listener: (socket: any) => void): unknown;
  to(room: string): Emitter;
  /** Per-socket event rate limit of this namespace (issue 18). */
  rateLimit(options: RateLimitOptions | false): unknown;
  /** Schemas (Standard Schema: zod here) of incoming events (issue 18). */
  validate(schemas: EventSchemas): unknown;
  /** Who is present in a room, or the whole namespace (issue 18), cluster-wide. */
  presence(room?: string): Presence;
}

export interface DemoServer {
  of(name: string): DemoNamespace;
}

/** The last argument when it is a function: the client asked for an acknowledgement. */
// biome-ignore lint/suspicious/noExplicitAny: untrusted arguments
export function takeAck(args: any[]): Ack {
  const last = args[args.length - 1];
  if (typeof last === "function") {
    args.pop();
    return last as Ack;
  }
  return () => {};
}
