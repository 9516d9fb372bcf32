import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { io, type Socket } from "@switchboard/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DemoProcess, spawnDemo } from "../server-process.js";
import { once } from "./helpers.js";

let dataDir: string;
let server: DemoProcess | undefined;
const sockets: Socket[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "sb-demo-entry-"));
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await server?.stop();
  server = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

function client(url: string, namespace: string, opts: Parameters<typeof io>[1] = {}): Socket {
  const socket = io(`${url}${namespace}`, { forceNew: true, reconnection: false, ...opts });
  sockets.push(socket);
  return socket;
}

/** The log lines of `switchboard:demo` on stderr (debug's format: "  switchboard:demo …"). */
const demoLines = (p: DemoProcess) =>
  p
    .stderr()
    .split("\n")
    .filter((line) => line.includes("switchboard:demo"));

describe("the demo's entry point (npm start)", () => {
  it("prints every URL it answers on: localhost and each external address", async () => {
    server = await spawnDemo({ PORT: "0", DATA_DIR: dataDir, HOST: undefined });
    const external = Object.values(networkInterfaces())
      .flatMap((entries) => entries ?? [])
      .filter((e) => !e.internal && e.family === "IPv4")
      .map((e) => `http://${e.address}:${server?.port}/`);
    expect(server.urls[0]).toBe(`http://localhost:${server.port}/`);
    expect(server.urls).toEqual(expect.arrayContaining(external));
    for (const url of server.urls) {
      const res = await fetch(`${url}healthz`);
      expect(res.status, url).toBe(200);
    }
    expect(server.stdout()).toContain(`Data in ${dataDir}`);
    // Without DEBUG: a hint, and no connection log.
    expect(server.stdout()).toContain("DEBUG=switchboard:demo");
    const s = client(`http://127.0.0.1:${server.port}`, "/where");
    await once(s, "connect");
    expect(demoLines(server)).toEqual([]);
  });

  it("prints only the host it was told to listen on", async () => {
    server = await spawnDemo({ PORT: "0", DATA_DIR: dataDir, HOST: "127.0.0.1" });
    expect(server.urls).toEqual([`http://127.0.0.1:${server.port}/`]);
  });

  it("with DEBUG=switchboard:demo, logs connections, disconnections and refusals", async () => {
    server = await spawnDemo({
      PORT: "0",
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      DEBUG: "switchboard:demo",
    });
    const url = `http://127.0.0.1:${server.port}`;
    expect(server.stdout()).not.toContain("Set DEBUG=");

    const ada = client(url, "/chat", { auth: { username: "ada" }, transports: ["websocket"] });
    await once(ada, "welcome");
    const refused = client(url, "/chat");
    const [err] = await once(refused, "connect_error");
    expect(err.message).toBe("a username is required");
    const foreign = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: "https://elsewhere.example" },
    });
    expect(foreign.status).toBe(403);
    const adaId = ada.id;
    ada.disconnect();

    await expect
      .poll(() => demoLines(server as DemoProcess).join("\n"), { timeout: 10_000 })
      .toMatch(/disconnected \/chat \S+: client namespace disconnect/);
    const lines = demoLines(server);
    expect(lines.some((l) => l.includes(`connected /chat ${adaId} from`))).toBe(true);
    expect(lines.some((l) => /connected \/chat \S+ from \S+ over websocket/.test(l))).toBe(true);
    expect(lines.some((l) => /refused \/chat \S+ from \S+: a username is required/.test(l))).toBe(
      true,
    );
    expect(
      lines.some((l) => /refused GET \/socket\.io\/\S+ from \S+: Origin not allowed/.test(l)),
    ).toBe(true);
    // The server's own namespaces stay quiet: only switchboard:demo was asked for.
    expect(server.stderr()).not.toContain("switchboard:engine");
  });
});
