import { type Dashboard, type DashboardOptions, dashboard } from "@switchboard/server/dashboard";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { type Listening, listen, onCleanup } from "../socket/helpers.js";

export const USER = "admin";
export const PASSWORD = "s3cret-for-tests";
export const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

/** A server on a loopback port with the dashboard on, both closed after the test. */
export async function withDashboard(
  options: Partial<DashboardOptions> = {},
): Promise<Listening & { d: Dashboard }> {
  const l = await listen();
  const d = dashboard(l.io, { auth: { username: USER, password: PASSWORD }, ...options });
  onCleanup(() => d.close());
  return { ...l, d };
}

/** A connection token, fetched as the page does (behind basic auth). */
export async function fetchToken(url: string, path = "/dashboard"): Promise<string> {
  const res = await fetch(`${url}${path}/token`, { headers: { Authorization: BASIC } });
  if (res.status !== 200) throw new Error(`token: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** A socket on the dashboard's namespace, as the page's; closed after the test. */
export function pageSocket(
  url: string,
  auth: Record<string, unknown>,
  nsp = "/_switchboard",
  transports: ("websocket" | "polling")[] = ["websocket"],
) {
  const socket = ioc(`${url}${nsp}`, { auth, forceNew: true, reconnection: false, transports });
  onCleanup(() => socket.disconnect());
  return socket;
}

/** Connected, or rejects with the connect_error. */
export function connected(socket: ClientSocket): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("connect timed out")), 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The page's request `event` with its answer. */
export function ask<T = Record<string, unknown>>(
  socket: ClientSocket,
  event: string,
  args: object = {},
): Promise<T> {
  return socket.timeout(8000).emitWithAck(event, args) as Promise<T>;
}
