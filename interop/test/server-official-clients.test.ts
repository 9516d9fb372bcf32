import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@switchboard/server";
import { Socket as EngineSocket } from "engine.io-client";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function waitFor<T extends unknown[]>(
  emitter: { once(ev: string, fn: (...a: never[]) => void): unknown },
  ev: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), 5000);
    emitter.once(ev, ((...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    }) as never);
  });
}

describe("Switchboard server with the official clients", () => {
  it("engine.io-client upgrades from polling to websocket and sees Socket.IO CONNECT answers", async () => {
    const { url } = await start();
    const engine = new EngineSocket(url, { path: "/socket.io/" });
    cleanups.push(() => engine.close());
    await waitFor(engine, "open");
    const upgraded = waitFor(engine, "upgrade");
    engine.send("0");
    const [answer] = await waitFor<[string]>(engine, "message");
    expect(JSON.parse(answer.slice(1))).toHaveProperty("sid");
    await upgraded;
    expect(engine.transport.name).toBe("websocket");
  });

  it.each(["websocket", "polling"] as const)(
    "socket.io-client over %s: namespaces, rooms, binary acks",
    async (transport) => {
      const { io, url } = await start();
      io.of("/ns").on("connection", (socket) => {
        socket.join("r");
        socket.on("bin", (buf: Buffer, cb: (b: Buffer) => void) => cb(Buffer.from(buf).reverse()));
        io.of("/ns").to("r").emit("joined", socket.id);
      });
      const socket: ClientSocket = ioc(`${url}/ns`, { transports: [transport], forceNew: true });
      cleanups.push(() => socket.disconnect());
      const [id] = await waitFor<[string]>(socket, "joined");
      expect(id).toBe(socket.id);
      const back = (await socket
        .timeout(4000)
        .emitWithAck("bin", Buffer.from([1, 2, 3]))) as ArrayBuffer;
      expect([...new Uint8Array(back)]).toEqual([3, 2, 1]);
    },
  );
});
