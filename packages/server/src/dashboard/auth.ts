import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** HTTP basic authentication: one user name and password. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Who may open the dashboard: HTTP basic authentication, a check of the request of your own
 * (a session cookie, a header set by your proxy; `true` lets the request in), or `false` to
 * leave it open (local development only).
 */
export type DashboardAuth =
  | BasicCredentials
  | ((req: IncomingMessage) => boolean | Promise<boolean>)
  | false;

/** The answer to a request that did not pass {@link checkRequest}. */
export interface Refusal {
  status: 401 | 403;
  headers: Record<string, string>;
}

const REALM = 'Basic realm="Switchboard dashboard", charset="UTF-8"';

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Whether `req` may use the dashboard: null when it may, else the answer to send. Basic
 * credentials are compared as SHA-256 digests with `timingSafeEqual`, so the time taken
 * tells nothing about the length or the content of the expected ones.
 */
export async function checkRequest(
  auth: DashboardAuth,
  expected: Buffer | undefined,
  req: IncomingMessage,
): Promise<Refusal | null> {
  if (auth === false) return null;
  if (typeof auth === "function") {
    let allowed = false;
    try {
      allowed = (await auth(req)) === true;
    } catch {
      allowed = false;
    }
    return allowed ? null : { status: 403, headers: {} };
  }
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header) : null;
  const given = match ? digest(Buffer.from(match[1]!, "base64").toString("utf8")) : digest("");
  const ok = match !== null && expected !== undefined && timingSafeEqual(given, expected);
  return ok ? null : { status: 401, headers: { "WWW-Authenticate": REALM } };
}

/** The digest of `user:password` that {@link checkRequest} compares against. */
export function expectedCredentials(auth: DashboardAuth): Buffer | undefined {
  if (auth === false || typeof auth === "function") return undefined;
  return digest(`${auth.username}:${auth.password}`);
}

/**
 * The key of the page's connection tokens. Given: used as is (every node of a cluster must
 * share it when the page and its connection may reach different nodes). With basic
 * credentials and no key: derived from them, so nodes configured alike agree. Otherwise a
 * random key of this process.
 */
export function tokenKey(auth: DashboardAuth, secret: string | undefined): Buffer {
  if (secret !== undefined) return digest(`switchboard-dashboard-secret:${secret}`);
  if (auth !== false && typeof auth !== "function") {
    return digest(`switchboard-dashboard-basic:${auth.username}:${auth.password}`);
  }
  return randomBytes(32);
}

/**
 * A connection token: `<expiry ms>.<nonce>.<HMAC-SHA256 of both>` (base64url). The page
 * fetches one (behind the page's authentication) for each connection attempt of its socket.
 */
export function signToken(key: Buffer, ttlMs: number, now = Date.now()): string {
  const body = `${now + ttlMs}.${randomBytes(9).toString("base64url")}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** Whether `token` was made by {@link signToken} with `key` and has not expired. */
export function verifyToken(key: Buffer, token: unknown, now = Date.now()): boolean {
  if (typeof token !== "string" || token.length > 200) return false;
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  const [expiry, nonce, mac] = parts as [string, string, string];
  const expected = createHmac("sha256", key).update(`${expiry}.${nonce}`).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const until = Number(expiry);
  return Number.isSafeInteger(until) && until >= now;
}
