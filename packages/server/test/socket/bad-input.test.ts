import { Server, type ServerOptions } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "./helpers.js";
import { RawPeer } from "./raw.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

async function setup(options: Partial<ServerOptions> = {}) {
  const io = new Server(options);
  servers.push(io);
  const reasons: string[] = [];
  io.on("connection", (socket) => {
    socket.on("disconnect", (reason) => reasons.push(reason));
    socket.on("echo", (v: unknown, cb?: (v: unknown) => void) => cb?.(v));
  });
  const victim = new TestClient(io);
  const victimSocket = await victim.connect("/");
  const bystander = await new TestClient(io).connect("/");
  return { io, victim, victimSocket, bystander, reasons };
}

async function stillWorks(socket: TestSocket): Promise<void> {
  expect(await socket.emitWithAck("echo", "ok")).toEqual(["ok"]);
}

const CLOSING_INPUTS: [string, string | Uint8Array][] = [
  ["malformed JSON", '2["echo",'],
  ["unknown packet type", "9"],
  ["DISCONNECT with a payload", '1["x"]'],
  ["event named like a reserved event", '2["disconnect"]'],
  ["event named newListener", '2["newListener","x"]'],
  ["event name that is not a string", "2[1]"],
  ["empty event array", "2[]"],
  ["CONNECT_ERROR sent by a client", '4{"message":"x"}'],
  ["attachment while none is awaited", new Uint8Array([1, 2, 3])],
  ["placeholder beyond the declared attachments", '51-["echo",{"_placeholder":true,"num":3}]'],
  ["auth payload that is a string", '0/other,"token"'],
  ["auth payload that is an array", "0/other,[1]"],
  [
    "data nested deeper than the encoder accepts",
    `2["echo",${"[".repeat(1001)}${"]".repeat(1001)}]`,
  ],
];

describe("bad input", () => {
  it.each(CLOSING_INPUTS)(
    "%s closes that connection with parse error only",
    async (_name, input) => {
      const { victim, victimSocket, bystander, reasons } = await setup();
      victim.sendRaw(input);
      expect(await victimSocket.waitForDisconnect()).toBe("forced close");
      await expect.poll(() => reasons).toEqual(["parse error"]);
      await stillWorks(bystander);
    },
  );

  it("accepts data nested as deep as the encoder allows, and relays it", async () => {
    const { victimSocket, reasons } = await setup();
    const deep = JSON.parse(`${"[".repeat(998)}"x"${"]".repeat(998)}`);
    expect(await victimSocket.emitWithAck("echo", deep)).toEqual([deep]);
    expect(reasons).toEqual([]);
  });

  it("scans strings in deep-data checks without counting their brackets", async () => {
    const { victimSocket, reasons } = await setup();
    const text = "[{".repeat(3000);
    expect(await victimSocket.emitWithAck("echo", text)).toEqual([text]);
    expect(reasons).toEqual([]);
  });

  it("ignores acks for unknown ids", async () => {
    const { victim, victimSocket, reasons } = await setup();
    victim.sendRaw("3999[1]");
    await stillWorks(victimSocket);
    expect(reasons).toEqual([]);
  });

  it("ignores an incoming 'error' event nobody listens to", async () => {
    const { victim, victimSocket } = await setup();
    victim.sendRaw('2["error","boom"]');
    await stillWorks(victimSocket);
  });

  it("ignores packets for a namespace the client did not join", async () => {
    const { victim, victimSocket } = await setup();
    victim.sendRaw('2/elsewhere,["echo",1]');
    await stillWorks(victimSocket);
  });

  it("applies configurable decoder limits", async () => {
    const { victim, victimSocket, reasons } = await setup({ decoderLimits: { maxAttachments: 1 } });
    victim.sendRaw('52-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    await victimSocket.waitForDisconnect();
    expect(reasons).toEqual(["parse error"]);
  });

  it("rejects invalid options with TypeError", () => {
    expect(() => new Server({ connectTimeout: -1 })).toThrow(TypeError);
    expect(() => new Server({ decoderLimits: { maxAttachments: -1 } })).toThrow(TypeError);
  });

  it("closes a real WebSocket connection on garbage, leaving others alone", async () => {
    const { io, port } = await listen();
    const reasons: string[] = [];
    io.on("connection", (s) => s.on("disconnect", (r) => reasons.push(r)));
    const bad = new RawPeer(port);
    const good = new RawPeer(port);
    await Promise.all([bad.open(), good.open()]);
    bad.send("40");
    good.send("40");
    await Promise.all([bad.next("40"), good.next("40")]);
    bad.send('42["disconnecting"]');
    await bad.closed;
    expect(reasons).toEqual(["parse error"]);
    good.send('42["ping"]');
    expect(io.sockets.sockets.size).toBe(1);
  });
});
