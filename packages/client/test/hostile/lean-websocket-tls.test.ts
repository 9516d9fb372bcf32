// The lean WebSocket over TLS (wss:): it checks the server's certificate and host name with
// Node's defaults, and works once the certificate is trusted (NODE_EXTRA_CA_CERTS, in a
// child process: Node reads it at start-up).
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeanWebSocket } from "../../dist/platform/lean-websocket.js";

const here = dirname(fileURLToPath(import.meta.url));
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
let dir: string;
let server: Server;
let port: number;
const sockets = new Set<TLSSocket>();

beforeAll(async () => {
  // A throwaway self-signed certificate for "localhost". No openssl → the suite fails.
  dir = mkdtempSync(join(tmpdir(), "switchboard-client-tls-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost", "-days", "1"],
      ...["-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
    ],
    { stdio: "pipe", timeout: 20_000 },
  );
  server = createServer(
    { key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) },
    (socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      let head = "";
      socket.on("data", (chunk: Buffer) => {
        if (head.includes("\r\n\r\n")) return;
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const key = /^sec-websocket-key: (.*)$/im.exec(head)?.[1] ?? "";
        const accept = createHash("sha1")
          .update(key + GUID)
          .digest("base64");
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        const text = Buffer.from("hello over tls");
        socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("lean WebSocket over TLS", () => {
  it("refuses a certificate it does not trust: error, then close 1006, never open", async () => {
    const ws = new LeanWebSocket(`wss://localhost:${port}/`);
    const events: string[] = [];
    let message = "";
    ws.onopen = () => events.push("open");
    ws.onerror = (event) => {
      events.push("error");
      message = (event as { message: string }).message;
    };
    const code = await new Promise<number>((resolve) => {
      ws.onclose = (event) => resolve(event.code);
    });
    expect(code).toBe(1006);
    expect(events).toEqual(["error"]);
    expect(message).toMatch(/self[- ]signed/i);
  });

  it("opens and receives once the certificate is trusted, and checks the host name", async () => {
    const script = `
      import { LeanWebSocket } from ${JSON.stringify(join(here, "../../dist/platform/lean-websocket.js"))};
      const open = (host) => new Promise((resolve) => {
        const ws = new LeanWebSocket("wss://" + host + ":${port}/");
        let error = "";
        ws.onerror = (e) => { error = e.message; };
        ws.onmessage = (m) => { resolve("message: " + m.data); ws.close(); };
        ws.onclose = () => resolve("closed: " + error);
      });
      console.log(JSON.stringify([await open("localhost"), await open("127.0.0.1")]));
      process.exit(0);
    `;
    // asynchronous: the server runs in this process
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "c.pem") },
          encoding: "utf8",
          timeout: 20_000,
        },
        (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })),
      );
    });
    expect(run.stderr).toBe("");
    const [named, byAddress] = JSON.parse(run.stdout) as [string, string];
    expect(named).toBe("message: hello over tls");
    // the certificate names localhost only: 127.0.0.1 fails the host name check
    expect(byAddress).toMatch(/^closed: .*(IP|altnames|does not match)/i);
  });
});
