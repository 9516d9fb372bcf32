import type { ResolvedEngineOptions } from "./options.js";

/** What follows the sid in open packets, per options object and transport kind. */
interface OpenTail {
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
  upgrades: readonly string[];
  upgradable: string;
  final: string;
}
const openTails = new WeakMap<ResolvedEngineOptions, OpenTail>();

/**
 * The open packet after `{"sid":…`: the same JSON as JSON.stringify of the object, in the
 * same key order, built once per server and rebuilt if its options were changed.
 */
function openPacketTail(o: ResolvedEngineOptions, upgradable: boolean): string {
  let t = openTails.get(o);
  if (
    t === undefined ||
    t.pingInterval !== o.pingInterval ||
    t.pingTimeout !== o.pingTimeout ||
    t.maxPayload !== o.maxHttpBufferSize ||
    t.upgrades !== o.upgrades
  ) {
    const rest = `"pingInterval":${o.pingInterval},"pingTimeout":${o.pingTimeout},"maxPayload":${o.maxHttpBufferSize}}`;
    t = {
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      maxPayload: o.maxHttpBufferSize,
      upgrades: o.upgrades,
      upgradable: `,"upgrades":${JSON.stringify(o.upgrades)},${rest}`,
      final: `,"upgrades":[],${rest}`,
    };
    openTails.set(o, t);
  }
  return upgradable ? t.upgradable : t.final;
}

/**
 * The open packet (spec "Handshake"): `0{sid, upgrades, pingInterval, pingTimeout,
 * maxPayload}`; `upgrades` lists the server's upgrades only on a transport that can be
 * upgraded (polling).
 *
 * For Engine.IO v3 clients the same JSON: the v3 spec lists four fields ("Anatomy of an
 * Engine.IO session"); `maxPayload` is sent too, as engine.io 6 does for v3 clients and as
 * the official v3 test suite expects (v3 clients ignore fields they do not know).
 */
export function openPacket(id: string, o: ResolvedEngineOptions, upgradable: boolean): string {
  return `0{"sid":${JSON.stringify(id)}${openPacketTail(o, upgradable)}`;
}
