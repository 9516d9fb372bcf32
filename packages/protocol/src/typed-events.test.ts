// biome-ignore-all lint/suspicious/noExplicitAny: asserting the untyped fallbacks, which are `any` by design
import { describe, expect, expectTypeOf, it } from "vitest";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithError,
  EventNamesWithoutAck,
  EventParams,
  FirstNonErrorArg,
  Last,
  RemoveAcknowledgements,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  TypedEventBroadcaster,
} from "./typed-events.js";

interface Events {
  noArgs: () => void;
  message: (text: string, count: number) => void;
  withAck: (id: number, callback: (room: string) => void) => void;
  onlyAck: (callback: (value: number) => void) => void;
  emptyAck: (callback: () => void) => void;
  errorAck: (callback: (err: Error, value: boolean) => void) => void;
}

interface Reserved {
  connect: () => void;
  disconnect: (reason: string) => void;
}

describe("typed events", () => {
  it("EventNames and EventParams", () => {
    expectTypeOf<EventNames<Events>>().toEqualTypeOf<
      "noArgs" | "message" | "withAck" | "onlyAck" | "emptyAck" | "errorAck"
    >();
    expectTypeOf<EventParams<Events, "message">>().toEqualTypeOf<[text: string, count: number]>();
    expectTypeOf<EventParams<Events, "noArgs">>().toEqualTypeOf<[]>();
    expectTypeOf<EventNames<DefaultEventsMap>>().toEqualTypeOf<string>();
    expectTypeOf<EventParams<DefaultEventsMap, "anything">>().toEqualTypeOf<any[]>();
  });

  it("Last, AllButLast, FirstNonErrorArg", () => {
    expectTypeOf<Last<[1, 2, 3]>>().toEqualTypeOf<3>();
    expectTypeOf<Last<[string]>>().toEqualTypeOf<string>();
    expectTypeOf<Last<[]>>().toBeNever();
    expectTypeOf<Last<number[]>>().toEqualTypeOf<number>();
    expectTypeOf<Last<[number, ...string[]]>>().toEqualTypeOf<string>();
    expectTypeOf<AllButLast<[1, 2, 3]>>().toEqualTypeOf<[1, 2]>();
    expectTypeOf<AllButLast<EventParams<Events, "withAck">>>().toEqualTypeOf<[id: number]>();
    expectTypeOf<FirstNonErrorArg<(room: string) => void>>().toEqualTypeOf<string>();
    expectTypeOf<FirstNonErrorArg<(err: Error, value: boolean) => void>>().toEqualTypeOf<boolean>();
    expectTypeOf<FirstNonErrorArg<Last<EventParams<Events, "withAck">>>>().toEqualTypeOf<string>();
    expectTypeOf<FirstNonErrorArg<number>>().toBeAny();
  });

  it("splits events with and without acknowledgements", () => {
    expectTypeOf<EventNamesWithAck<Events>>().toEqualTypeOf<"withAck" | "onlyAck" | "errorAck">();
    expectTypeOf<EventNamesWithoutAck<Events>>().toEqualTypeOf<"noArgs" | "message">();
    expectTypeOf<EventNamesWithError<Events>>().toEqualTypeOf<"errorAck">();
    expectTypeOf<keyof RemoveAcknowledgements<Events>>().toEqualTypeOf<"noArgs" | "message">();
    expectTypeOf<EventNamesWithAck<DefaultEventsMap>>().toEqualTypeOf<string>();
    expectTypeOf<EventNamesWithoutAck<DefaultEventsMap>>().toEqualTypeOf<string>();
  });

  it("decorates acknowledgements with a timeout error", () => {
    type Decorated = DecorateAcknowledgements<Events>;
    expectTypeOf<Decorated["withAck"]>().toEqualTypeOf<
      (id: number, callback: (err: Error, room: string) => void) => void
    >();
    expectTypeOf<Decorated["message"]>().toEqualTypeOf<(text: string, count: number) => void>();
    // an ack that already takes an Error first is left alone
    expectTypeOf<Decorated["errorAck"]>().toEqualTypeOf<Events["errorAck"]>();
  });

  it("decorates acknowledgements with multiple responses", () => {
    type Many = DecorateAcknowledgementsWithMultipleResponses<Events>;
    expectTypeOf<Many["withAck"]>().toEqualTypeOf<
      (id: number, callback: (room: string[]) => void) => void
    >();
    expectTypeOf<Many["emptyAck"]>().toEqualTypeOf<(callback: () => void) => void>();
    type ManyWithTimeout = DecorateAcknowledgementsWithTimeoutAndMultipleResponses<Events>;
    expectTypeOf<ManyWithTimeout["withAck"]>().toEqualTypeOf<
      (id: number, callback: (err: Error, room: string[]) => void) => void
    >();
    expectTypeOf<ManyWithTimeout["emptyAck"]>().toEqualTypeOf<
      (callback: (err: Error) => void) => void
    >();
    expectTypeOf<ManyWithTimeout["message"]>().toEqualTypeOf<
      (text: string, count: number) => void
    >();
  });

  it("picks reserved or user listeners", () => {
    expectTypeOf<ReservedOrUserEventNames<Reserved, Events>>().toEqualTypeOf<
      "connect" | "disconnect" | EventNames<Events>
    >();
    expectTypeOf<ReservedOrUserListener<Reserved, Events, "disconnect">>().toEqualTypeOf<
      (reason: string) => void
    >();
    expectTypeOf<ReservedOrUserListener<Reserved, Events, "message">>().toEqualTypeOf<
      Events["message"]
    >();
    expectTypeOf<ReservedOrUserListener<Reserved, DefaultEventsMap, "custom">>().toEqualTypeOf<
      (...args: any[]) => void
    >();
  });

  it("types a broadcaster's emit", () => {
    const sent: unknown[][] = [];
    const broadcaster: TypedEventBroadcaster<Events> = {
      emit(ev, ...args) {
        sent.push([ev, ...args]);
        return true;
      },
    };
    expectTypeOf(broadcaster.emit<"message">).parameters.toEqualTypeOf<
      ["message", string, number]
    >();
    // @ts-expect-error wrong argument type
    broadcaster.emit("message", 1, 2);
    broadcaster.emit("message", "hi", 3);
    expect(sent).toEqual([
      ["message", 1, 2],
      ["message", "hi", 3],
    ]);
  });
});
