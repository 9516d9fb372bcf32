import { type Namespace, Server, type Socket } from "@switchboard/server";
import { describe, expectTypeOf, it } from "vitest";

interface ClientToServer {
  chat: (text: string, ack: (ok: boolean) => void) => void;
  ping: () => void;
}
interface ServerToClient {
  news: (title: string, n: number) => void;
  question: (q: string, cb: (answer: number) => void) => void;
}
interface InterServer {
  hello: (from: string) => void;
}
interface Data {
  user: string;
}

describe("typed events", () => {
  it("infers listener, emit, ack and data types like socket.io", () => {
    const io = new Server<ClientToServer, ServerToClient, InterServer, Data>();
    io.on("connection", (socket) => {
      expectTypeOf(socket).toEqualTypeOf<
        Socket<ClientToServer, ServerToClient, InterServer, Data>
      >();
      expectTypeOf(socket.data).toEqualTypeOf<Data>();
      // socket.ts names Namespace and Server without importing them (issue 15): exact types
      expectTypeOf(socket.nsp).toEqualTypeOf<
        Namespace<ClientToServer, ServerToClient, InterServer, Data>
      >();
      expectTypeOf(socket.server).toEqualTypeOf<
        Server<ClientToServer, ServerToClient, InterServer, Data>
      >();
      expectTypeOf(socket.nsp.server).toEqualTypeOf<
        Server<ClientToServer, ServerToClient, InterServer, Data>
      >();
      socket.nsp.to("room").emit("news", "t", 1);
      // @ts-expect-error wrong argument type, through socket.nsp
      socket.nsp.emit("news", 1, 1);
      socket.on("chat", (text, ack) => {
        expectTypeOf(text).toEqualTypeOf<string>();
        expectTypeOf(ack).toEqualTypeOf<(ok: boolean) => void>();
      });
      socket.on("disconnect", (reason) => expectTypeOf(reason).toBeString());
      socket.emit("news", "t", 1);
      // @ts-expect-error wrong argument type
      socket.emit("news", 1, 1);
      // @ts-expect-error unknown event
      socket.emit("nope");
      socket.timeout(10).emit("question", "q", (err, answer) => {
        expectTypeOf(err).toEqualTypeOf<Error>();
        expectTypeOf(answer).toEqualTypeOf<number>();
      });
      expectTypeOf(socket.emitWithAck("question", "q")).toEqualTypeOf<Promise<number>>();
    });
    io.timeout(10).emit("question", "q", (err, answers) => {
      expectTypeOf(err).toEqualTypeOf<Error>();
      expectTypeOf(answers).toEqualTypeOf<number[]>();
    });
    expectTypeOf(io.to("r").timeout(10).emitWithAck("question", "q")).toEqualTypeOf<
      Promise<number[]>
    >();
    io.on("hello", (from) => expectTypeOf(from).toEqualTypeOf<string>());
    io.serverSideEmit("hello", "me");
    void io.close();
  });
});
