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

/** Both clients, over websocket: ours and the official one (issue 18: "with both clients"). */
export const CLIENTS = [
  {
    name: "@switchboard/client",
    connect: (url: string, opts: Record<string, unknown> = {}): AnyClientSocket => {
      const socket = sbio(url, { transports: ["websocket"], forceNew: true, reconnection: false, ...opts });
      onCleanup(() => socket.disconnect());
      return socket as unknown as AnyClientSocket;
    },
  },
  {
    name: "socket.io-client",
    connect: (url: string, opts: Record<string, unknown> = {}): AnyClientSocket => {
      const socket = ioc(url, { transports: ["websocket"], forceNew: true, reconnection: false, ...opts });
      onCleanup(() => socket.disconnect());
      return socket as unknown as AnyClientSocket;
    },
  },
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
