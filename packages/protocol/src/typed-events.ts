/**
 * Event-map types shared by the Switchboard server and client (type-only: this module emits
 * no code). The shapes and inference follow socket.io's typed events, so that code typed
 * against socket.io's `Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>`
 * type-checks unchanged.
 *
 * An event map is an interface from event name to listener type:
 * ```ts
 * interface ServerToClientEvents {
 *   message: (text: string) => void;
 *   getRoom: (callback: (room: string) => void) => void; // the last function is the ack
 * }
 * ```
 *
 * @packageDocumentation
 */

// biome-ignore-all lint/suspicious/noExplicitAny: event maps are open-ended by design (socket.io compatible): `any` is what makes an untyped map accept every event and argument

/** An event map: event name to listener type. Every event map extends this. */
export interface EventsMap {
  [event: string]: any;
}

/** The map used when none is given: every event name, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

/** The event names of a map (string or symbol keys). */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

/** The argument tuple of the listener of event `Ev`. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** `true` if `T` is `any`, otherwise `false` (only `any` makes `1 & T` accept `0`). */
type IsAny<T> = 0 extends 1 & T ? true : false;

/** `Then` when `T` is `any`, otherwise `Else`. */
type IfAny<T, Then, Else> = IsAny<T> extends true ? Then : Else;

/** The parameters of `T` if it is a function, `never` otherwise. */
type ParamsOf<T> = T extends (...args: infer P) => any ? P : never;

/**
 * The type of the last element of a tuple (the element type for a plain array, `never` for `[]`).
 * Used to find the acknowledgement callback, which is always the last argument.
 */
export type Last<T extends readonly unknown[]> = T extends readonly []
  ? never
  : T extends readonly [...infer _Init, infer Tail]
    ? Tail
    : T extends readonly [infer Head, ...infer Rest]
      ? Rest extends readonly []
        ? Head
        : Last<Rest>
      : T extends ReadonlyArray<infer Item>
        ? Item
        : never;

/** Every element of a tuple but the last (the arguments of `emitWithAck`); `any[]` for a plain array. */
export type AllButLast<T extends any[]> = T extends [...infer Init, infer _Tail] ? Init : any[];

/** The first element of a tuple, or the second when the first is an `Error` (a timeout error slot). */
export type FirstNonErrorTuple<T extends unknown[]> = T[0] extends Error ? T[1] : T[0];

/**
 * The value an acknowledgement callback `T` delivers: its first argument, or its second when
 * the first is an `Error`. `any` when `T` is not a function. This is what `emitWithAck` resolves to.
 */
export type FirstNonErrorArg<T> = T extends (...args: infer Params) => any
  ? FirstNonErrorTuple<Params>
  : any;

/**
 * Event names whose last argument is an acknowledgement callback that delivers a value
 * (the events usable with `emitWithAck`). All names for an untyped map.
 */
export type EventNamesWithAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (
    Last<Parameters<Map[K]>> extends (...args: any[]) => any
      ? FirstNonErrorArg<Last<Parameters<Map[K]>>> extends void
        ? never
        : K
      : never
  )
    ? K
    : never
>;

/**
 * Event names whose listener takes no acknowledgement callback: no arguments at all, or a
 * last argument that is not a function. All names for an untyped map.
 */
export type EventNamesWithoutAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (Parameters<Map[K]> extends never[] ? K : never)
    ? K
    : K extends (Last<Parameters<Map[K]>> extends (...args: any[]) => any ? never : K)
      ? K
      : never
>;

/** The map without the events that take an acknowledgement (what a broadcast may emit). */
export type RemoveAcknowledgements<E extends EventsMap> = {
  [K in EventNamesWithoutAck<E>]: E[K];
};

/** Event names whose acknowledgement callback already takes an `Error` first. */
export type EventNamesWithError<
  Map extends EventsMap,
  K extends EventNamesWithAck<Map> = EventNamesWithAck<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (ParamsOf<Last<Parameters<Map[K]>>>[0] extends Error ? K : never) ? K : never
>;

/** The names of reserved events (`connect`, `disconnect`, …) plus the user's event names. */
export type ReservedOrUserEventNames<
  ReservedEventsMap extends EventsMap,
  UserEvents extends EventsMap,
> = EventNames<ReservedEventsMap> | EventNames<UserEvents>;

/**
 * An untyped listener when `T` is `never`: keeps `on(name, listener)` usable for names the
 * maps do not know (TypeScript cannot infer the listener from a `never` candidate).
 */
type FallbackToUntypedListener<T> = [T] extends [never]
  ? (...args: any[]) => void | Promise<void>
  : T;

/**
 * The listener type for event `Ev`: the reserved event's listener when `Ev` is reserved,
 * otherwise the user event's listener.
 */
export type ReservedOrUserListener<
  ReservedEvents extends EventsMap,
  UserEvents extends EventsMap,
  Ev extends ReservedOrUserEventNames<ReservedEvents, UserEvents>,
> = FallbackToUntypedListener<
  Ev extends EventNames<ReservedEvents>
    ? ReservedEvents[Ev]
    : Ev extends EventNames<UserEvents>
      ? UserEvents[Ev]
      : never
>;

/** Something that emits events typed by `EmitEvents` without being an EventEmitter (e.g. a broadcast operator). */
export interface TypedEventBroadcaster<EmitEvents extends EventsMap> {
  /** Emit `ev` with arguments typed by the map. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
}

/** Each function in the tuple gains a leading `err: Error` (unless it already has one). */
export type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? Params[0] extends Error
      ? T[K]
      : (err: Error, ...args: Params) => Result
    : T[K];
};

/** Each element type of the tuple becomes an array of it. */
export type MultiplyArray<T extends unknown[]> = {
  [K in keyof T]: T[K][];
};

/** The first element of a tuple as a one-element tuple, keeping its parameter label. */
type FirstWithLabel<T extends any[]> = T extends [any, ...infer Rest]
  ? T extends [...infer Head, ...Rest]
    ? Head
    : never
  : never;

/**
 * Each acknowledgement callback in the tuple receives an array of responses (one per
 * client) in place of its first non-error argument; later arguments are dropped.
 */
export type ExpectMultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? Params extends [Error]
      ? (err: Error) => Result
      : Params extends [Error, ...infer Rest]
        ? (err: Error, ...args: FirstWithLabel<MultiplyArray<Rest>>) => Result
        : Params extends []
          ? () => Result
          : (...args: FirstWithLabel<MultiplyArray<Params>>) => Result
    : T[K];
};

/**
 * The map as seen through `socket.timeout(ms).emit(…)`: every acknowledgement callback
 * gains a leading `err: Error` for the timeout.
 *
 * @example
 * ```ts
 * interface Events { hello: (cb: (reply: string) => void) => void }
 * // DecorateAcknowledgements<Events>["hello"] is (cb: (err: Error, reply: string) => void) => void
 * ```
 */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

/**
 * The map as seen through a broadcast with a timeout (`io.timeout(ms).emit(…)`): the
 * acknowledgement gets `err: Error` and an array of responses, one per client.
 */
export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<PrependTimeoutError<Params>>) => Result
    : E[K];
};

/** The map as seen through a broadcast without a timeout: acknowledgements get an array of responses. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<Params>) => Result
    : E[K];
};
