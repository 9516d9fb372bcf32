import type { EventPacket } from "@switchboard/protocol";
import type {
  AdapterNamespace,
  BroadcastOptions,
  Room,
  SocketDetails,
  SocketId,
} from "@switchboard/server";
import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import type { Parser } from "../msgpack/index.js";
import { isRecord, RequestType, readOptions, readPacket, readRooms } from "./format.js";
import { serializeSockets } from "./serialize-sockets.js";

const debug = debugModule("switchboard:redis:adapter");

type Rec = Record<string, unknown>;

/**
 * This node as a request of another node may act on it: the in-memory adapter's own
 * operations, which deliver locally and never publish again.
 */
export interface LocalNode {
  readonly nsp: AdapterNamespace;
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;
  addSockets(opts: BroadcastOptions, rooms: Room[]): void;
  delSockets(opts: BroadcastOptions, rooms: Room[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  /**
   * The fetch answer for a Switchboard requester that knows the handshakes listed in `sb`
   * (see handshake-sync.ts).
   */
  syncedAnswer(requestId: string, sockets: SocketDetails[], sb: Record<string, unknown>): string;
  broadcastWithAck(
    packet: EventPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
}

/**
 * Answers the requests of other nodes in the classic format (types 0 to 7, see
 * `format.ts`): the JSON answers as socket.io writes them, the acks of clients through the
 * parser (msgpack).
 */
export class RequestHandler {
  readonly #local: LocalNode;
  readonly #parser: Parser;
  readonly #respond: (requester: string | undefined, payload: Buffer | string) => void;

  constructor(
    local: LocalNode,
    parser: Parser,
    respond: (requester: string | undefined, payload: Buffer | string) => void,
  ) {
    this.#local = local;
    this.#parser = parser;
    this.#respond = respond;
  }

  /**
   * Acts on one request of another node (already validated as an object with a type).
   *
   * @throws RedisAdapterError `SB_ERR_REDIS_INVALID_MESSAGE` (unknown type, bad fields)
   */
  handle(
    type: number | undefined,
    requestId: string | undefined,
    uid: string | undefined,
    msg: Rec,
  ): void {
    const needId = (): string => {
      if (requestId === undefined) {
        throw new RedisAdapterError(
          RedisAdapterErrorCode.INVALID_MESSAGE,
          "request without requestId",
        );
      }
      return requestId;
    };
    switch (type) {
      case RequestType.SOCKETS: {
        const id = needId();
        void this.#local.sockets(new Set(readRooms(msg.rooms ?? []))).then((ids) => {
          this.#respond(uid, JSON.stringify({ requestId: id, sockets: [...ids] }));
        });
        return;
      }
      case RequestType.ALL_ROOMS: {
        const id = needId();
        this.#respond(uid, JSON.stringify({ requestId: id, rooms: [...this.#local.rooms.keys()] }));
        return;
      }
      case RequestType.REMOTE_JOIN:
        this.#local.addSockets(readOptions(msg.opts), readRooms(msg.rooms));
        return;
      case RequestType.REMOTE_LEAVE:
        this.#local.delSockets(readOptions(msg.opts), readRooms(msg.rooms));
        return;
      case RequestType.REMOTE_DISCONNECT:
        this.#local.disconnectSockets(readOptions(msg.opts), msg.close === true);
        return;
      case RequestType.REMOTE_FETCH: {
        const id = needId();
        const opts = readOptions(msg.opts);
        const sb = msg.sb;
        void this.#local.fetchSockets(opts).then((sockets) => {
          this.#respond(
            uid,
            isRecord(sb)
              ? this.#local.syncedAnswer(id, sockets, sb)
              : serializeSockets(id, sockets),
          );
        });
        return;
      }
      case RequestType.SERVER_SIDE_EMIT:
        this.#serverSideEmitRequest(requestId, uid, msg.data);
        return;
      case RequestType.BROADCAST: {
        const id = needId();
        const packet = readPacket(msg.packet, this.#local.nsp.name);
        this.#local.broadcastWithAck(
          packet,
          readOptions(msg.opts),
          (clientCount) =>
            this.#respond(
              uid,
              JSON.stringify({
                type: RequestType.BROADCAST_CLIENT_COUNT,
                requestId: id,
                clientCount,
              }),
            ),
          (arg) => {
            try {
              this.#respond(
                uid,
                this.#parser.encode({
                  type: RequestType.BROADCAST_ACK,
                  requestId: id,
                  packet: arg,
                }),
              );
            } catch (err) {
              debug("ack not relayed: %s", err);
            }
          },
        );
        return;
      }
      default:
        throw new RedisAdapterError(
          RedisAdapterErrorCode.INVALID_MESSAGE,
          `unknown request type ${String(type)}`,
        );
    }
  }

  #serverSideEmitRequest(
    requestId: string | undefined,
    uid: string | undefined,
    data: unknown,
  ): void {
    if (!Array.isArray(data) || typeof data[0] !== "string") {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.INVALID_MESSAGE,
        "server-side emit without an event name",
      );
    }
    if (requestId === undefined) {
      this.#local.nsp.receiveServerSideEmit(data);
      return;
    }
    let answered = false;
    this.#local.nsp.receiveServerSideEmit([
      ...data,
      (arg: unknown) => {
        if (answered) return;
        answered = true;
        this.#respond(
          uid,
          JSON.stringify({ type: RequestType.SERVER_SIDE_EMIT, requestId, data: arg }),
        );
      },
    ]);
  }
}
