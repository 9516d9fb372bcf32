import { io, type Manager, type Socket } from "@switchboard/client";
import { describe, expectTypeOf, it } from "vitest";

interface ServerToClient {
  news: (title: string, body: Uint8Array) => void;
  count: (n: number) => void;
}
interface ClientToServer {
  hello: (name: string) => void;
  add: (a: number, b: number, ack: (sum: number) => void) => void;
}

describe("typed events", () => {
  it("types listeners, emits, acks and timeouts from the event maps", () => {
    const socket: Socket<ServerToClient, ClientToServer> = io("http://127.0.0.1:1", {
      autoConnect: false,
    });
    socket.on("news", (title, body) => {
      expectTypeOf(title).toEqualTypeOf<string>();
      expectTypeOf(body).toEqualTypeOf<Uint8Array>();
    });
    socket.on("connect_error", (err) => expectTypeOf(err).toMatchTypeOf<Error>());
    socket.on("disconnect", (reason) => expectTypeOf(reason).toMatchTypeOf<string>());
    socket.emit("hello", "me");
    socket.emit("add", 1, 2, (sum) => expectTypeOf(sum).toEqualTypeOf<number>());
    socket.timeout(10).emit("add", 1, 2, (err, sum) => {
      expectTypeOf(err).toEqualTypeOf<Error>();
      expectTypeOf(sum).toEqualTypeOf<number>();
    });
    expectTypeOf(socket.emitWithAck("add", 1, 2)).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error: wrong argument type
    socket.emit("hello", 42);
    // @ts-expect-error: unknown event
    socket.emit("nope");
    // @ts-expect-error: listener with the wrong parameter type
    socket.on("count", (n: string) => n);
    socket.disconnect();
  });

  it("types socket.io as the whole Manager, and manager.socket() as a Socket", () => {
    // socket.ts never imports manager.ts: socket.io's type comes from a declaration merge there
    const socket: Socket<ServerToClient, ClientToServer> = io("http://127.0.0.1:1", {
      autoConnect: false,
    });
    expectTypeOf(socket.io).toMatchTypeOf<Manager<ServerToClient, ClientToServer>>();
    expectTypeOf(socket.io.reconnection(false).opts.reconnectionDelay).toEqualTypeOf<number>();
    expectTypeOf(socket.io.engine?.id).toEqualTypeOf<string | undefined>();
    expectTypeOf(socket.io.socket("/admin")).toEqualTypeOf<Socket>();
    socket.io.disconnect();
  });
});
