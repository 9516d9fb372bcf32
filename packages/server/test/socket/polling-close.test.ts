import type { Socket } from "@switchboard/server";
import { describe, expect, it } from "vitest";
import { client, connected, listen, once, TRANSPORTS } from "./helpers.js";

function nextSocket(io: {
  on(ev: "connection", fn: (s: Socket) => void): unknown;
}): Promise<Socket> {
  return new Promise((resolve) => io.on("connection", resolve));
}

// Regression: over long-polling the engine used to send the DISCONNECT packet and the engine
// close packet in one payload; socket.io-client handles the close first and reported
// "transport close". The close packet now goes in the response after the messages.
describe.each(TRANSPORTS)(
  "socket.disconnect(true) reaches the official client over $name",
  (transport) => {
    it('the client sees "io server disconnect"', async () => {
      const { io, url } = await listen();
      const accepted = nextSocket(io);
      const c = await connected(client(url, transport));
      const s = await accepted;
      const clientReason = once<[string]>(c, "disconnect");
      s.disconnect(true);
      expect((await clientReason)[0]).toBe("io server disconnect");
      await expect.poll(() => io.engine.clientsCount).toBe(0);
    });

    it("events emitted just before disconnect(true) arrive first, in order", async () => {
      const { io, url } = await listen();
      const accepted = nextSocket(io);
      const c = await connected(client(url, transport));
      const s = await accepted;
      const seen: unknown[] = [];
      c.on("n", (n: unknown) => seen.push(n));
      const clientReason = once<[string]>(c, "disconnect");
      for (let i = 0; i < 5; i++) s.emit("n", i);
      s.disconnect(true);
      expect((await clientReason)[0]).toBe("io server disconnect");
      expect(seen).toEqual([0, 1, 2, 3, 4]);
      await expect.poll(() => io.engine.clientsCount).toBe(0);
    });

    it("every namespace on the connection sees io server disconnect", async () => {
      const { io, url } = await listen();
      io.of("/b");
      const accepted = nextSocket(io);
      const main = await connected(client(url, transport));
      const other = await connected(main.io.socket("/b"));
      const s = await accepted;
      const mainReason = once<[string]>(main, "disconnect");
      const otherReason = once<[string]>(other, "disconnect");
      s.disconnect(true);
      expect((await mainReason)[0]).toBe("io server disconnect");
      // The other namespace loses its engine connection: the client reports that as it sees it.
      expect(["io server disconnect", "transport close"]).toContain((await otherReason)[0]);
      await expect.poll(() => io.engine.clientsCount).toBe(0);
    });
  },
);
