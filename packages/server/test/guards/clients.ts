import { io as sbio } from "@switchboard/client";
import { io as ioc } from "socket.io-client";
import { onCleanup } from "../socket/helpers.js";

/** The part of a client socket these tests use (both clients have it). */
export interface AnyClientSocket {
  connected: boolean;
  emit(ev: string, ...args: unknown[]): unknown;
  on(ev: string, fn: (...args: never[]) => void): unknown;
  once(ev: string, fn: (...args: never[]) => void): unknown;
  disconnect(): unknown;
  timeout(ms: number): { emitWithAck(ev: string, ...args: unknown[]): Promise<unknown> };
}

/** A connect function over websocket, no reconnection, the socket closed after the test. */
function connector(
  connect: (url: string, opts: Record<string, unknown>) => { disconnect(): unknown },
): (url: string, opts?: Record<string, unknown>) => AnyClientSocket {
  return (url, opts = {}) => {
    const socket = connect(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ...opts,
    });
    onCleanup(() => socket.disconnect());
    // Both clients have every member of AnyClientSocket; their generic types differ.
    return socket as unknown as AnyClientSocket;
  };
}

/** Both clients: ours and the official one (issue 18: "with both clients"). */
export const CLIENTS = [
  { name: "@switchboard/client", connect: connector(sbio) },
  { name: "socket.io-client", connect: connector(ioc) },
] as const;

/** Resolves once `socket` is connected (rejects on connect_error or after 5 s). */
export function ready(socket: AnyClientSocket): Promise<AnyClientSocket> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    const timer = setTimeout(() => reject(new Error("connect timed out")), 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", ((err: Error) => {
      clearTimeout(timer);
      reject(err);
    }) as never);
  });
}

/** The next `error` event's payload (rejects after 5 s). */
export function nextError(socket: AnyClientSocket): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for "error"')), 5000);
    socket.once("error", ((payload: unknown) => {
      clearTimeout(timer);
      resolve(payload);
    }) as never);
  });
}
