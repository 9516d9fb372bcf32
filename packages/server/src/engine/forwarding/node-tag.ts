import { randomId } from "../random-id.js";

/** Characters of a node tag: the first characters of every session id the node makes. */
export const NODE_TAG_LENGTH = 6;

const TAG = /^[A-Za-z0-9_-]{6}$/;

/**
 * A fresh node tag: 6 base64url characters (36 random bits). Two nodes of one cluster draw
 * the same tag with probability about n²/2³⁷ (1 in 14 million for 100 nodes).
 */
export function newNodeTag(): string {
  return randomId().slice(0, NODE_TAG_LENGTH);
}

/**
 * A session id of the node tagged `tag`: the tag and 14 random base64url characters (84
 * bits), 20 characters in all like an id without forwarding, so clients that store or check
 * ids see nothing new.
 */
export function taggedSessionId(tag: string): string {
  return tag + randomId().slice(0, 20 - NODE_TAG_LENGTH);
}

/** The node tag a session id names, or undefined when it cannot be one (too short, other characters). */
export function tagOf(sid: string): string | undefined {
  if (sid.length < NODE_TAG_LENGTH) return undefined;
  const tag = sid.slice(0, NODE_TAG_LENGTH);
  return TAG.test(tag) ? tag : undefined;
}

/** A directory address: `host:port` or `[v6]:port`. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** Parses a directory address; undefined when it is not `host:port` with a port in 1..65535. */
export function parseNodeAddress(address: string): NodeAddress | undefined {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return undefined;
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return undefined;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) return undefined;
  return host === "" ? undefined : { host, port };
}

/** Formats a host and port as a directory address (`[v6]:port` for IPv6). */
export function formatNodeAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
