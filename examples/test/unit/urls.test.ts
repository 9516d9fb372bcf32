import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { listeningUrls } from "../../src/lib/urls.js";

const iface = (address: string, family: "IPv4" | "IPv6", internal = false) =>
  ({ address, family, internal, netmask: "", mac: "", cidr: null }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [iface("127.0.0.1", "IPv4", true), iface("::1", "IPv6", true)],
  eth0: [iface("192.168.1.20", "IPv4"), iface("fe80::1", "IPv6"), iface("2001:db8::5", "IPv6")],
  wlan0: [iface("10.0.0.7", "IPv4"), iface("febf::2", "IPv6")],
};

describe("listeningUrls", () => {
  it("lists localhost and every external address when listening everywhere", () => {
    expect(listeningUrls(5000, undefined, interfaces)).toEqual([
      "http://localhost:5000/",
      "http://192.168.1.20:5000/",
      "http://[2001:db8::5]:5000/",
      "http://10.0.0.7:5000/",
    ]);
    expect(listeningUrls(5000, "::", interfaces)).toEqual(
      listeningUrls(5000, undefined, interfaces),
    );
  });

  it("leaves IPv6 out when listening on the IPv4 wildcard", () => {
    expect(listeningUrls(80, "0.0.0.0", interfaces)).toEqual([
      "http://localhost:80/",
      "http://192.168.1.20:80/",
      "http://10.0.0.7:80/",
    ]);
  });

  it("lists only the host it was given", () => {
    expect(listeningUrls(8080, "127.0.0.1", interfaces)).toEqual(["http://127.0.0.1:8080/"]);
    expect(listeningUrls(8080, "::1", interfaces)).toEqual(["http://[::1]:8080/"]);
  });

  it("lists localhost alone on a machine without a network", () => {
    expect(listeningUrls(5000, undefined, { lo: interfaces.lo })).toEqual([
      "http://localhost:5000/",
    ]);
  });
});
