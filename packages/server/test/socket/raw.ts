import { WebSocket } from "ws";
import { onCleanup, once } from "./helpers.js";

/** A bare Engine.IO WebSocket peer: sends exactly what a test wants, answers nothing. */
export class RawPeer {
  readonly ws: WebSocket;
  readonly messages: string[] = [];
  readonly #waiters: { match: (m: string) => boolean; resolve: (m: string) => void }[] = [];
  closed: Promise<[number, Buffer]>;

  constructor(port: number, path = "/socket.io/") {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${path}?EIO=4&transport=websocket`);
    this.closed = once<[number, Buffer]>(this.ws, "close", 10_000);
    this.ws.on("message", (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length}>` : data.toString();
      this.messages.push(text);
      const i = this.#waiters.findIndex((w) => w.match(text));
      if (i !== -1) this.#waiters.splice(i, 1)[0]!.resolve(text);
    });
    onCleanup(() => this.ws.terminate());
  }

  /** Resolves with the first message (past or future) starting with `prefix`. */
  next(prefix: string, ms = 5000): Promise<string> {
    const found = this.messages.find((m) => m.startsWith(prefix));
    if (found !== undefined) {
      this.messages.splice(this.messages.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message ${prefix}`)), ms);
      this.#waiters.push({
        match: (m) => m.startsWith(prefix),
        resolve: (m) => {
          clearTimeout(timer);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  async open(): Promise<void> {
    await this.next("0");
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }
}
