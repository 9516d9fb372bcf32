/**
 * Every error the socket and adapter layers make carries a stable code (issue 15): what the
 * app catches, what an ack receives, and the description of a "parse error" close. Asserted
 * on `code` and class, never on message text.
 */
import {
  AdapterError,
  AdapterErrorCode,
  type AdapterNamespace,
  ClusterAdapter,
  type ClusterMessage,
  type EncodedPacket,
  Server,
  type Socket,
  SocketError,
  SocketErrorCode,
  SocketTypeError,
} from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

function server(options: ConstructorParameters<typeof Server>[0] = {}): Server {
  const io = new Server(options);
  servers.push(io);
  return io;
}

/** A connected client and its server-side socket. */
async function pair(io = server()) {
  const connection = new Promise<Socket>((resolve) => io.once("connection", resolve));
  const client = new TestClient(io);
  const socket = await client.connect("/");
  return { client, socket, serverSocket: await connection };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

function expectCode(err: unknown, cls: abstract new (...a: never[]) => Error, code: string): void {
  expect(err).toBeInstanceOf(cls);
  expect((err as { code?: unknown }).code).toBe(code);
}

describe("socket layer error codes", () => {
  it("a reserved event name, emitted or server-side emitted: SB_ERR_RESERVED_EVENT", async () => {
    const io = server();
    const { serverSocket } = await pair(io);
    for (const emit of [
      () => serverSocket.emit("disconnect" as never),
      () => io.emit("connect" as never),
      () => io.to("room").emit("disconnecting" as never),
      () => io.serverSideEmit("connection"),
      () => io.of("/").serverSideEmit("new_namespace"),
    ]) {
      expectCode(caught(emit), SocketError, SocketErrorCode.RESERVED_EVENT);
    }
  });

  it("an ack that does not come in time: SB_ERR_ACK_TIMEOUT (socket, broadcast, promise)", async () => {
    const { serverSocket } = await pair();
    const viaCallback = await new Promise<unknown>((resolve) =>
      serverSocket.timeout(10).emit("silent", (err: unknown) => resolve(err)),
    );
    expectCode(viaCallback, SocketError, SocketErrorCode.ACK_TIMEOUT);
    const viaPromise = await serverSocket
      .timeout(10)
      .emitWithAck("silent")
      .catch((err: unknown) => err);
    expectCode(viaPromise, SocketError, SocketErrorCode.ACK_TIMEOUT);
    const viaBroadcast = await serverSocket.nsp
      .timeout(10)
      .emitWithAck("silent")
      .catch((err: unknown) => err);
    expectCode(viaBroadcast, SocketError, SocketErrorCode.ACK_TIMEOUT);
  });

  it("a socket that disconnects before answering: SB_ERR_ACK_DISCONNECTED", async () => {
    const { socket, serverSocket } = await pair();
    const pending = serverSocket
      .timeout(10_000)
      .emitWithAck("silent")
      .catch((err: unknown) => err);
    socket.disconnect();
    expectCode(await pending, SocketError, SocketErrorCode.ACK_DISCONNECTED);
  });

  it.each([
    ["a CONNECT_ERROR from a client", '4{"message":"x"}', SocketErrorCode.UNEXPECTED_PACKET],
    [
      "a reserved event name from a client",
      '2["disconnect"]',
      SocketErrorCode.RESERVED_CLIENT_EVENT,
    ],
    // (a CONNECT whose auth is not an object, SB_ERR_INVALID_AUTH, is refused by the default
    // decoder first with a ProtocolError; the socket layer's check guards custom parsers)
  ])("%s closes with parse error and a coded description", async (_name, input, code) => {
    const { client, serverSocket } = await pair();
    const closed = new Promise<[string, unknown]>((resolve) =>
      serverSocket.on("disconnect", (reason, description) => resolve([reason, description])),
    );
    client.sendRaw(input);
    const [reason, description] = await closed;
    expect(reason).toBe("parse error");
    expectCode(description, SocketError, code);
  });

  it("invalid server options: SocketTypeError SB_ERR_INVALID_OPTION, still a TypeError", () => {
    for (const options of [
      { connectTimeout: -1 },
      { path: "no-slash" },
      { adapter: 42 as never },
      { parser: {} as never },
      { connectionStateRecovery: { maxPackets: 0 } },
    ]) {
      const err = caught(() => new Server(options));
      expectCode(err, SocketTypeError, SocketErrorCode.INVALID_OPTION);
      expect(err).toBeInstanceOf(TypeError);
    }
  });

  it("an encoded packet from elsewhere: SB_ERR_FOREIGN_ENCODED_PACKET", async () => {
    const { serverSocket } = await pair();
    const foreign: EncodedPacket = { packet: { type: 2, nsp: "/", data: ["x"] } };
    expectCode(
      caught(() => serverSocket.deliver(foreign, {})),
      SocketTypeError,
      SocketErrorCode.FOREIGN_ENCODED_PACKET,
    );
  });
});

describe("adapter layer error codes", () => {
  it("a cluster request no node answers in time: SB_ERR_ADAPTER_REQUEST_TIMEOUT", async () => {
    // Two nodes that hear each other's heartbeats, but node 1 never answers a request.
    const adapters = new Set<ClusterAdapter>();
    class SilentPeerAdapter extends ClusterAdapter {
      constructor(nsp: AdapterNamespace) {
        super(nsp, { requestsTimeout: 50 });
        adapters.add(this);
      }
      protected publish(message: ClusterMessage): void {
        if (message.type === "fetch-sockets-response") return;
        for (const adapter of adapters) {
          if (adapter !== this) queueMicrotask(() => adapter.onMessage(message));
        }
      }
      override close(): void {
        super.close();
        adapters.delete(this);
      }
    }
    const a = server({ adapter: SilentPeerAdapter });
    server({ adapter: SilentPeerAdapter });
    await expect.poll(() => a.of("/").adapter.serverCount()).toBe(2);
    const err = await a.fetchSockets().catch((e: unknown) => e);
    expectCode(err, AdapterError, AdapterErrorCode.REQUEST_TIMEOUT);
  });
});
