import type { IncomingMessage, ServerResponse } from "node:http";
import {
  decodePayload,
  decodeV3Payload,
  type EnginePacket,
  isV3BinaryPayload,
} from "@switchboard/protocol";
import createDebug from "debug";
import { type Eio3State, eio3PollingPayload, eio3PollingText } from "../eio3.js";
import {
  HandshakeError,
  HandshakeRefusal,
  type HandshakeRefusalValue,
  TransportError,
  TransportErrorCode,
  type TransportErrorCodeValue,
} from "../errors.js";
import {
  CLOSE,
  type PreparedMessage,
  pollingForm,
  pollingPayload,
  pollingPayloadBytes,
} from "../framing.js";
import { TimerEntry, TimerWheel } from "../timer-wheel.js";
import type { Transport, TransportOwner } from "./transport.js";

const debug = createDebug("switchboard:engine:polling");

/**
 * The HTTP answers a polling transport writes (implemented by the server's
 * {@link HttpAnswers}; a fake one in the fuzz target).
 */
export interface PollingResponder {
  /** 200 with a text payload; `bytes`: its UTF-8 length when known, else -1. */
  payload(req: IncomingMessage, res: ServerResponse, body: string, bytes: number): void;
  /** 200 with an Engine.IO v3 binary payload. */
  binaryPayload(req: IncomingMessage, res: ServerResponse, body: Buffer): void;
  /** 200 "ok" for a POST. */
  ok(req: IncomingMessage, res: ServerResponse): void;
  /** 400/403 JSON error answer (and `connection_error`). */
  reject(req: IncomingMessage, res: ServerResponse, error: HandshakeError): void;
  /** Refuses a POST body (413, 408) with `Connection: close`; drops the rest of it. */
  refuseBody(req: IncomingMessage, res: ServerResponse, status: number): void;
}

/** Settings the transport reads (the server's resolved options). */
export interface PollingLimits {
  readonly maxHttpBufferSize: number;
  readonly maxPayloadPackets: number;
  readonly maxBodyChunks: number;
  readonly bodyTimeout: number;
}

/** Smallest buffer set aside for a body that arrives in several chunks. */
const MIN_BODY_BUFFER = 1024;

/** The POST body being read: gathered into one buffer (doubling), never a list of chunks. */
interface PostState {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer | null;
  bytes: number;
  chunks: number;
  onData: (chunk: Buffer) => void;
  onEnd: () => void;
  onAbort: () => void;
}

/**
 * An Engine.IO v3 POST body: a binary payload (XHR2 clients; it starts with the header byte
 * 0 or 1) or a text one (it starts with a length digit), told apart by its first byte.
 */
function decodeEio3Body(body: Buffer | null, bytes: number, maxPackets: number): EnginePacket[] {
  const data = body === null ? Buffer.alloc(0) : body.subarray(0, bytes);
  if (isV3BinaryPayload(data)) return decodeV3Payload(data, maxPackets);
  return decodeV3Payload(data.toString("utf8"), maxPackets);
}

/** Body deadlines of every transport reading a POST: one Node timer per duration. */
const bodyDeadlines = new TimerWheel<PollingTransport>((t) => PollingTransport.onBodyTimeout(t));

/**
 * HTTP long-polling (spec "HTTP long-polling"): at most one GET held until there is data,
 * at most one POST at a time; a second concurrent one is answered 400 and closes the session.
 */
export class PollingTransport implements Transport {
  readonly name = "polling" as const;
  readonly upgradable = true;
  readonly streaming = false;
  readonly bufferedAmount = 0;
  owner: TransportOwner | null = null;
  #responder: PollingResponder;
  #limits: PollingLimits;
  #getReq: IncomingMessage | null = null;
  #getRes: ServerResponse | null = null;
  /** The POST being read, or null. */
  #post: PostState | null = null;
  /** Body deadline on the shared wheel; allocated on the first POST. */
  #deadline: TimerEntry<PollingTransport> | null = null;
  #closed = false;
  /** Engine.IO v3 session (`allowEIO3`): length-prefixed payloads both ways; null for v4. */
  readonly #eio3: Eio3State | null;
  /** "close" listener of every held GET's response (one per transport, not per request). */
  readonly #onGetClose: (this: ServerResponse) => void;

  constructor(responder: PollingResponder, limits: PollingLimits, eio3: Eio3State | null = null) {
    this.#responder = responder;
    this.#limits = limits;
    this.#eio3 = eio3;
    const transport = this;
    this.#onGetClose = function (this: ServerResponse) {
      transport.#getResClosed(this);
    };
  }

  #getResClosed(res: ServerResponse): void {
    if (this.#getRes !== res) return;
    this.#getReq = null;
    this.#getRes = null;
    this.#fail(TransportErrorCode.POLL_ABORTED, "poll connection closed prematurely");
  }

  /** A GET is held: an answer written now leaves at once. */
  get writable(): boolean {
    return this.#getRes !== null;
  }

  /** Same as {@link writable} (the name tests outside the engine read). */
  get hasPendingGet(): boolean {
    return this.#getRes !== null;
  }

  /** Ends the session with "transport error" and a {@link TransportError} (engine.io's messages). */
  #fail(code: TransportErrorCodeValue, message: string, status?: number): void {
    const error = new TransportError(code, message, status === undefined ? {} : { status });
    this.owner?.onTransportClose(this, "transport error", error);
  }

  #reject(req: IncomingMessage, res: ServerResponse, refusal: HandshakeRefusalValue): void {
    this.#responder.reject(req, res, new HandshakeError(refusal, req));
  }

  /** Answers one request of the session: a GET (held until there is data) or a POST. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed) this.#reject(req, res, HandshakeRefusal.UNKNOWN_SID);
    else if (req.method === "GET") this.#onGet(req, res);
    else if (req.method === "POST") this.#onPost(req, res);
    else this.#reject(req, res, HandshakeRefusal.BAD_POLLING_METHOD);
  }

  #onGet(req: IncomingMessage, res: ServerResponse): void {
    if (this.#getRes !== null) {
      debug("overlapping GET");
      this.#reject(req, res, HandshakeRefusal.OVERLAPPING_REQUEST);
      this.#fail(TransportErrorCode.OVERLAPPING_REQUEST, "overlapping GET request", 400);
      return;
    }
    this.#getReq = req;
    this.#getRes = res;
    res.on("close", this.#onGetClose);
    this.owner?.onPoll(this);
  }

  #onPost(req: IncomingMessage, res: ServerResponse): void {
    if (this.#post !== null) {
      debug("overlapping POST");
      this.#reject(req, res, HandshakeRefusal.OVERLAPPING_REQUEST);
      this.#fail(TransportErrorCode.OVERLAPPING_REQUEST, "overlapping POST request", 400);
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (declared > this.#limits.maxHttpBufferSize) {
      this.#refuse(req, res, TransportErrorCode.BODY_TOO_LARGE, "payload too large", 413);
      return;
    }
    const post: PostState = {
      req,
      res,
      body: null,
      bytes: 0,
      chunks: 0,
      onData: (chunk) => this.#onBodyChunk(post, chunk),
      onEnd: () => this.#onBodyEnd(post),
      onAbort: () => {
        if (this.#post !== post) return;
        this.#endPost();
        this.#fail(TransportErrorCode.POST_ABORTED, "data request closed prematurely");
      },
    };
    this.#post = post;
    let e = this.#deadline;
    if (e === null) {
      e = new TimerEntry<PollingTransport>(this);
      this.#deadline = e;
    }
    bodyDeadlines.arm(e, this.#limits.bodyTimeout);
    req.on("data", post.onData);
    req.on("end", post.onEnd);
    req.on("error", post.onAbort);
    res.on("close", post.onAbort);
  }

  #onBodyChunk(post: PostState, chunk: Buffer): void {
    const limits = this.#limits;
    const bytes = post.bytes + chunk.length;
    if (bytes > limits.maxHttpBufferSize) {
      this.#endPost();
      this.#refuse(post.req, post.res, TransportErrorCode.BODY_TOO_LARGE, "payload too large", 413);
      return;
    }
    if (++post.chunks > limits.maxBodyChunks) {
      this.#endPost();
      this.#refuse(
        post.req,
        post.res,
        TransportErrorCode.BODY_TOO_MANY_CHUNKS,
        "too many body chunks",
        413,
      );
      return;
    }
    let body = post.body;
    if (body === null && post.bytes === 0) {
      // The whole body in one chunk (the common case) is kept as it is, never copied.
      post.body = chunk;
      post.bytes = bytes;
      return;
    }
    if (body === null || bytes > body.length) {
      // Sized by what has arrived (doubling), not by what Content-Length claims.
      const grown = Buffer.allocUnsafe(
        Math.min(limits.maxHttpBufferSize, Math.max(bytes, 2 * post.bytes, MIN_BODY_BUFFER)),
      );
      if (body !== null) body.copy(grown, 0, 0, post.bytes);
      post.body = body = grown;
    }
    chunk.copy(body, post.bytes);
    post.bytes = bytes;
  }

  #onBodyEnd(post: PostState): void {
    if (this.#post !== post) return;
    this.#endPost();
    const body = post.body;
    let packets: EnginePacket[];
    try {
      if (this.#eio3 !== null) {
        packets = decodeEio3Body(body, post.bytes, this.#limits.maxPayloadPackets);
      } else {
        const text = body === null ? "" : body.toString("utf8", 0, post.bytes);
        packets = decodePayload(text, this.#limits.maxPayloadPackets);
      }
    } catch (err) {
      this.#reject(post.req, post.res, HandshakeRefusal.BAD_PAYLOAD);
      this.owner?.onTransportClose(this, "parse error", err);
      return;
    }
    this.#responder.ok(post.req, post.res);
    this.owner?.onPackets(this, packets);
  }

  /** Called by the shared wheel when a POST body took longer than `bodyTimeout`. */
  static onBodyTimeout(t: PollingTransport): void {
    const post = t.#post;
    if (post === null) return;
    t.#endPost();
    t.#refuse(post.req, post.res, TransportErrorCode.BODY_TIMEOUT, "body timeout", 408);
  }

  /** Stops reading the current POST (listeners off, deadline disarmed). */
  #endPost(): void {
    const post = this.#post;
    if (post === null) return;
    this.#post = null;
    if (this.#deadline !== null) bodyDeadlines.disarm(this.#deadline);
    post.req.off("data", post.onData);
    post.req.off("end", post.onEnd);
    post.req.off("error", post.onAbort);
    post.res.off("close", post.onAbort);
  }

  #refuse(
    req: IncomingMessage,
    res: ServerResponse,
    code: TransportErrorCodeValue,
    message: string,
    status: 408 | 413,
  ): void {
    debug("POST refused: %s", message);
    this.#responder.refuseBody(req, res, status);
    this.#fail(code, message, status);
  }

  /**
   * Answers the held GET with the messages as one payload in the session's protocol
   * version; false (nothing written) when no GET is held.
   */
  write(messages: readonly PreparedMessage[], _compress: boolean, _batch: unknown): boolean {
    const req = this.#getReq;
    const res = this.#getRes;
    if (req === null || res === null) return false;
    this.#getReq = null;
    this.#getRes = null;
    const eio3 = this.#eio3;
    if (eio3 === null) {
      this.#responder.payload(req, res, pollingPayload(messages), pollingPayloadBytes(messages));
      return true;
    }
    const body = eio3PollingPayload(messages, eio3);
    if (typeof body === "string") this.#responder.payload(req, res, body, -1);
    else this.#responder.binaryPayload(req, res, body);
    return true;
  }

  /** Answers the held GET with one control packet (close, noop). */
  #answer(packet: PreparedMessage): void {
    const req = this.#getReq;
    const res = this.#getRes;
    if (req === null || res === null) return;
    this.#getReq = null;
    this.#getRes = null;
    const body = this.#eio3 === null ? pollingForm(packet) : eio3PollingText(packet);
    this.#responder.payload(req, res, body, -1);
  }

  /**
   * Stops the transport; a held GET gets `last` (close or noop packet). A POST still
   * being read is cut off: its session is gone, and nothing else would end it before
   * Node's own requestTimeout (300 s).
   */
  close(last: PreparedMessage): void {
    if (this.#closed) return;
    this.#answer(last);
    this.#closed = true;
    const post = this.#post;
    if (post !== null) {
      this.#endPost();
      post.req.socket.destroy();
    }
  }

  /** Nothing is queued in the transport: ends as {@link close} with the close packet. */
  terminate(): void {
    this.close(CLOSE);
  }
}
