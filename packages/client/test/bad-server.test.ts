import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { ClientErrorCode, type SocketError, type TransportError } from "@switchboard/client";
import { describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { connectFast, fakeServers, waitFor } from "./helpers.js";

const handshake = (pingInterval = 25_000, pingTimeout = 20_000) =>
  `0${JSON.stringify({ sid: "fake-sid", upgrades: [], pingInterval, pingTimeout, maxPayload: 1e6 })}`;

const listen = fakeServers();

/** A fake WebSocket-only server: `script` runs for every connection. */
async function fakeWebSocketServer(script: (ws: WebSocket) => void): Promise<string> {
  const http = createServer((_req, res) => res.writeHead(400).end());
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", script);
  http.on("close", () => wss.close());
  return listen(http);
}

const connect = connectFast;

describe("a misbehaving server", () => {
  it("closes with 'parse error' on a malformed engine frame, then reconnects", async () => {
    let connections = 0;
    const url = await fakeWebSocketServer((ws) => {
      connections++;
      ws.send(handshake());
      ws.on("message", (data) => {
        if (String(data).startsWith("40")) {
          ws.send('40{"sid":"socket-sid"}');
          ws.send("9not-an-engine-packet");
        }
      });
    });
    const socket = connect(url);
    await waitFor(socket, "connect");
    const [reason, details] = await waitFor(socket, "disconnect");
    expect(reason).toBe("parse error");
    expect((details as TransportError).code).toBe(ClientErrorCode.PARSE);
    await waitFor(socket.io, "reconnect_attempt");
    await waitFor(socket, "connect");
    expect(connections).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ["an unknown socket packet type", "4garbage"],
    ["bad JSON", '42["event",'],
    ["an event that is not an array", '42{"a":1}'],
    ["an attachment count over the limit", `451000-["e",{"_placeholder":true,"num":0}]`],
  ])("closes with 'parse error' on %s", async (_name, frame) => {
    const url = await fakeWebSocketServer((ws) => {
      ws.send(handshake());
      ws.on("message", (data) => {
        if (String(data).startsWith("40")) {
          ws.send('40{"sid":"socket-sid"}');
          ws.send(frame);
        }
      });
    });
    const socket = connect(url);
    const [reason] = await waitFor(socket, "disconnect");
    expect(reason).toBe("parse error");
    await waitFor(socket.io, "reconnect_attempt");
  });

  it("closes with 'parse error' on a binary attachment nobody announced", async () => {
    const url = await fakeWebSocketServer((ws) => {
      ws.send(handshake());
      ws.on("message", (data) => {
        if (String(data).startsWith("40")) {
          ws.send('40{"sid":"socket-sid"}');
          ws.send(Buffer.from([1, 2, 3]));
        }
      });
    });
    const socket = connect(url);
    const [reason] = await waitFor(socket, "disconnect");
    expect(reason).toBe("parse error");
  });

  it("reports connect_error for a broken handshake and keeps retrying", async () => {
    const url = await fakeWebSocketServer((ws) => ws.send('0{"sid":'));
    const socket = connect(url);
    const [err] = await waitFor<[TransportError]>(socket, "connect_error");
    expect(err.code).toBe(ClientErrorCode.PARSE);
    expect(err.message).toBe("parse error");
    await waitFor(socket.io, "reconnect_attempt");
    await waitFor(socket, "connect_error");
  });

  it("reports connect_error 'parse error' for a ping before the handshake", async () => {
    const url = await fakeWebSocketServer((ws) => ws.send("2"));
    const socket = connect(url, { reconnection: false });
    const [err] = (await waitFor(socket, "connect_error")) as [TransportError];
    expect(err.code).toBe(ClientErrorCode.PARSE);
  });

  it("rejects a CONNECT answer without a session id", async () => {
    const url = await fakeWebSocketServer((ws) => {
      ws.send(handshake());
      ws.on("message", (data) => {
        if (String(data).startsWith("40")) ws.send("40");
      });
    });
    const socket = connect(url);
    const [err] = await waitFor<[SocketError]>(socket, "connect_error");
    expect(err.code).toBe(ClientErrorCode.NO_SESSION_ID);
    expect(socket.connected).toBe(false);
  });

  it("answers pings with pongs, and closes with 'ping timeout' when pings stop", async () => {
    const pongs: string[] = [];
    const url = await fakeWebSocketServer((ws) => {
      ws.send(handshake(40, 40));
      ws.on("message", (data) => {
        const text = String(data);
        if (text.startsWith("40")) {
          ws.send('40{"sid":"socket-sid"}');
          ws.send("2"); // one ping, then silence
        } else if (text === "3") pongs.push(text);
      });
    });
    const socket = connect(url, { reconnection: false });
    const pinged = waitFor(socket.io, "ping");
    await waitFor(socket, "connect");
    await pinged;
    const [reason] = await waitFor(socket, "disconnect");
    expect(reason).toBe("ping timeout");
    expect(pongs).toEqual(["3"]);
  });

  it("closes with 'parse error' when a polling payload is malformed", async () => {
    let gets = 0;
    const http = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.method === "POST") {
        req.resume();
        req.on("end", () => res.end("ok"));
        return;
      }
      gets++;
      if (gets === 1) res.end(handshake());
      else if (gets === 2) res.end('40{"sid":"socket-sid"}');
      else if (gets === 3) res.end("4hello\x1ebnot base64!");
      // later polls stay pending until the client goes away
    });
    const url = await listen(http);
    const socket = connect(url, { transports: ["polling"], reconnection: false });
    await waitFor(socket, "connect");
    const [reason] = await waitFor(socket, "disconnect");
    expect(reason).toBe("parse error");
  });

  it("reports an HTTP error on the handshake as connect_error 'xhr poll error'", async () => {
    const http = createServer((_req, res) =>
      res
        .writeHead(400, { "content-type": "application/json" })
        .end('{"code":3,"message":"Bad request"}'),
    );
    const url = await listen(http);
    const socket = connect(url, { transports: ["polling"], reconnection: false });
    const [err] = await waitFor<[TransportError]>(socket, "connect_error");
    expect(err.message).toBe("xhr poll error");
    expect(err.code).toBe(ClientErrorCode.TRANSPORT);
    expect(err.description).toBe(400);
  });

  it("tears down a polling answer over 100 MiB: connect_error 'xhr poll error'", async () => {
    // a server that streams its handshake answer without end (Node.js: node:http, bounded)
    let sent = 0;
    let aborted: () => void = () => {};
    const cut = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const chunk = Buffer.alloc(1024 * 1024, 0x30);
    const http = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" });
      const pump = () => {
        while (!res.destroyed && sent < 200 * chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
      };
      res.on("close", aborted);
      pump();
    });
    const url = await listen(http);
    const socket = connect(url, { transports: ["polling"], reconnection: false });
    const [err] = await waitFor<[TransportError]>(socket, "connect_error", 20_000);
    expect(err.message).toBe("xhr poll error");
    expect(String((err.description as Error).message)).toContain("polling answer over");
    await cut;
    // the client stopped reading at its bound (what the server wrote ahead sits in socket buffers)
    expect(sent).toBeGreaterThan(100 * chunk.length);
    expect(sent).toBeLessThan(200 * chunk.length);
  });

  it("polls over node:http: keep-alive connections, POSTs as text/plain;charset=UTF-8", async () => {
    const seen: { method: string; type: string | undefined; remote: number }[] = [];
    let posted = "";
    let postEnded: () => void = () => {};
    const postDone = new Promise<void>((resolve) => {
      postEnded = resolve;
    });
    const http = createServer((req, res) => {
      seen.push({
        method: req.method ?? "",
        type: req.headers["content-type"],
        remote: req.socket.remotePort ?? 0,
      });
      if (req.method === "POST") {
        req.setEncoding("utf8");
        req.on("data", (c: string) => {
          posted += c;
        });
        req.on("end", () => {
          res.end("ok");
          postEnded();
        });
        return;
      }
      const polls = seen.filter((r) => r.method === "GET").length;
      if (polls === 1) res.end(handshake());
      else if (polls === 2) res.end('40{"sid":"s1"}');
      // later polls stay pending until the test ends
    });
    const url = await listen(http);
    const socket = connect(url, { transports: ["polling"], reconnection: false });
    await waitFor(socket, "connect");
    await postDone;
    expect(posted).toBe("40");
    const post = seen.find((r) => r.method === "POST")!;
    expect(post.type).toBe("text/plain;charset=UTF-8");
    const gets = seen.filter((r) => r.method === "GET");
    // the second GET reuses the first one's connection (the global agent keeps it alive)
    expect(gets[1]!.remote).toBe(gets[0]!.remote);
  });

  it("fails with connect_error 'timeout' when the handshake never comes", async () => {
    const url = await fakeWebSocketServer(() => {});
    const socket = connect(url, { timeout: 50, reconnection: false });
    const [err] = await waitFor<[TransportError]>(socket, "connect_error");
    expect(err.message).toBe("timeout");
    expect(err.code).toBe(ClientErrorCode.TIMEOUT);
  });

  it("falls back to the next transport with tryAllTransports", async () => {
    let gets = 0;
    const http = createServer((req, res) => {
      if (req.method === "POST") {
        req.resume();
        req.on("end", () => res.end("ok"));
        return;
      }
      if (req.headers.upgrade) {
        res.writeHead(400).end(); // the WebSocket attempt fails
        return;
      }
      gets++;
      if (gets === 1) res.end(handshake());
      else if (gets === 2) res.end('40{"sid":"polling-socket"}');
      // later polls stay pending until the client goes away
    });
    const url = await listen(http);
    const socket = connect(url, {
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnection: false,
    });
    await waitFor(socket, "connect");
    expect(socket.io.engine!.transport.name).toBe("polling");
  });
});
