import { type InferSchemaOutput, Server } from "@switchboard/server";
import { type } from "arktype";
import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";

/** Issue 18: the types of validated events and their acks come from the schemas. */
describe("schema-inferred types", () => {
  it("types handlers and acks of nsp.validate from zod, valibot and arktype schemas", () => {
    const io = new Server();
    const nsp = io.of("/chat").validate({
      message: { payload: z.object({ text: z.string() }), ack: z.object({ id: z.number() }) },
      move: v.object({ x: v.number(), y: v.number() }),
      rename: type({ name: "string" }),
      age: z.string().transform((s) => Number(s)),
    });
    nsp.on("connection", (socket) => {
      socket.on("message", (value, ack) => {
        expectTypeOf(value).toEqualTypeOf<{ text: string }>();
        expectTypeOf(ack).parameter(0).toEqualTypeOf<{ id: number }>();
      });
      socket.on("move", (value) => expectTypeOf(value).toEqualTypeOf<{ x: number; y: number }>());
      socket.on("rename", (value) => expectTypeOf(value).toEqualTypeOf<{ name: string }>());
      // the handler gets the schema's output, not its input
      socket.on("age", (value) => expectTypeOf(value).toEqualTypeOf<number>());
      // @ts-expect-error the payload is { text: string }, not a string
      socket.on("message", (value: string) => value);
    });
    io.close();
  });

  it("types socket.on(event, schema, handler) from the schema's output", () => {
    const io = new Server();
    io.on("connection", (socket) => {
      socket.on("n", z.coerce.number(), (n) => expectTypeOf(n).toEqualTypeOf<number>());
      socket.on("p", v.object({ a: v.string() }), (p) =>
        expectTypeOf(p).toEqualTypeOf<{ a: string }>(),
      );
      socket.on("t", type("string[]"), (t) => expectTypeOf(t).toEqualTypeOf<string[]>());
    });
    expectTypeOf<InferSchemaOutput<typeof schema>>().toEqualTypeOf<{ ok: boolean }>();
    io.close();
  });
});

const schema = z.object({ ok: z.boolean() });
