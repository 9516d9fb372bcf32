import type { IncomingMessage, ServerResponse } from "node:http";
import {
  decodePayload,
  decodeV3Payload,
  type EnginePacket,
  isV3BinaryPayload,
} from "@switchboard/protocol";
import createDebug from "debug";
import {
  type HandshakeErrorCodeValue,
  TransportError,
  TransportErrorCode,
  type TransportErrorCodeValue,
} from "../errors.js";
import { TimerEntry, TimerWheel } from "../timer-wheel.js";

const debug = createDebug("switchboard:engine:polling");

/** What the polling transport needs from the HTTP side (the engine server). */
export interface PollingResponder {
  /**
   * 200 with a text payload (compressed when large and accepted), emitting "headers";
   * `bytes` is the body's UTF-8 length when the caller knows it, else -1.
   */
  writePayload(req: IncomingMessage, res: ServerResponse, body: string, bytes: number): void;
  /** 200 with an Engine.IO v3 binary payload (`application/octet-stream`), emitting "headers". */
  writeBinaryPayload(req: IncomingMessage, res: ServerResponse, body: Buffer): void;
  /** 200 "ok" for a POST. */
  writeOk(req: IncomingMessage, res: ServerResponse): void;
  /** 400/403 JSON error answer. */
  abort(req: IncomingMessage, res: ServerResponse, code: HandshakeErrorCodeValue): void;
  /**
   * Refuses a POST body (413 too large or too many chunks, 408 too slow) with
   * `Connection: close`, then drops the rest of the body and cuts the connection.
   */
  refuseBody(req: IncomingMessage, res: ServerResponse, status: 408 | 413): void;
}

/** What the polling transport reports to its session. */
export interface PollingOwner {
  onPollingPackets(packets: EnginePacket[]): void;
  onPollingGet(): void;
  onPollingError(reason: "transport error" | "parse error", description: unknown): void;
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
export class PollingTransport {
  readonly name = "polling" as const;
  /** The session; set by the session's constructor. */
  owner: PollingOwner | null = null;
  #responder: PollingResponder;
  #limits: PollingLimits;
  #getReq: IncomingMessage | null = null;
  #getRes: ServerResponse | null = null;
  /** The POST being read, or null. */
  #post: PostState | null = null;
  /** Body deadline on the shared wheel; allocated on the first POST. */
  #deadline: TimerEntry<PollingTransport> | null = null;
  #closed = false;
  /** The session speaks Engine.IO v3: POST bodies are length-prefixed payloads. */
  readonly #eio3: boolean;
  /** "close" listener of every held GET's response (one per transport, not per request). */
  readonly #onGetClose: (this: ServerResponse) => void;

  constructor(responder: PollingResponder, limits: PollingLimits, eio3 = false) {
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
    this.owner?.onPollingError("transport error", "poll connection closed prematurely");
  }

  /** A GET is held and can take a payload now. */
  get hasPendingGet(): boolean {
    return this.#getRes !== null;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed) {
      this.#responder.abort(req, res, 1);
      return;
    }
    if (req.method === "GET") this.#onGet(req, res);
    else if (req.method === "POST") this.#onPost(req, res);
    else this.#responder.abort(req, res, 3);
  }

  #onGet(req: IncomingMessage, res: ServerResponse): void {
    if (this.#getRes !== null) {
      debug("overlapping GET");
      this.#responder.abort(req, res, 3);
      this.owner?.onPollingError("transport error", "overlapping GET request");
      return;
    }
    this.#getReq = req;
    this.#getRes = res;
    res.on("close", this.#onGetClose);
    this.owner?.onPollingGet();
  }

  #onPost(req: IncomingMessage, res: ServerResponse): void {
    if (this.#post !== null) {
      debug("overlapping POST");
      this.#responder.abort(req, res, 3);
      this.owner?.onPollingError("transport error", "overlapping POST request");
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
        this.owner?.onPollingError("transport error", "data request closed prematurely");
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
      if (this.#eio3) packets = decodeEio3Body(body, post.bytes, this.#limits.maxPayloadPackets);
      else {
        const text = body === null ? "" : body.toString("utf8", 0, post.bytes);
        packets = decodePayload(text, this.#limits.maxPayloadPackets);
      }
    } catch (err) {
      this.#responder.abort(post.req, post.res, 3);
      this.owner?.onPollingError("parse error", err);
      return;
    }
    this.#responder.writeOk(post.req, post.res);
    this.owner?.onPollingPackets(packets);
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
    this.owner?.onPollingError("transport error", new TransportError(code, message, { status }));
  }

  /** Answers the held GET with a payload (`bytes`: its UTF-8 length, or -1); false when none is held. */
  write(body: string, bytes = -1): boolean {
    const req = this.#getReq;
    const res = this.#getRes;
    if (req === null || res === null) return false;
    this.#getReq = null;
    this.#getRes = null;
    this.#responder.writePayload(req, res, body, bytes);
    return true;
  }

  /** Answers the held GET with an Engine.IO v3 binary payload; false when none is held. */
  writeBinary(body: Buffer): boolean {
    const req = this.#getReq;
    const res = this.#getRes;
    if (req === null || res === null) return false;
    this.#getReq = null;
    this.#getRes = null;
    this.#responder.writeBinaryPayload(req, res, body);
    return true;
  }

  /**
   * Stops the transport; a held GET gets `finalBody` (close or noop packet). A POST still
   * being read is cut off: its session is gone, and nothing else would end it before
   * Node's own requestTimeout (300 s).
   */
  close(finalBody: string): void {
    if (this.#closed) return;
    this.write(finalBody);
    this.#closed = true;
    const post = this.#post;
    if (post !== null) {
      this.#endPost();
      post.req.socket.destroy();
    }
  }
}
