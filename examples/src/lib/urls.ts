import type { NetworkInterfaceInfo } from "node:os";

/**
 * The URLs a visitor can open for a server listening on `host:port`: `localhost` and each
 * external address of this machine when listening on every interface (no host, `0.0.0.0`
 * or `::`), else the one host. IPv6 link-local addresses (`fe80::/10`) are left out: a
 * browser needs their zone id; an IPv6 wildcard also accepts IPv4, an IPv4 one only IPv4.
 */
export function listeningUrls(
  port: number,
  host: string | undefined,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string[] {
  const url = (address: string) =>
    `http://${address.includes(":") ? `[${address}]` : address}:${port}/`;
  if (host && host !== "0.0.0.0" && host !== "::") return [url(host)];
  const urls = [url("localhost")];
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === "IPv6" && (host === "0.0.0.0" || /^fe[89ab]/i.test(entry.address))) {
        continue;
      }
      const shown = url(entry.address);
      if (!urls.includes(shown)) urls.push(shown);
    }
  }
  return urls;
}
