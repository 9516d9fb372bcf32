// The application's cluster part (cluster scenarios, every target but raw ws): what a
// node does for a cross-node round trip and for fetchSockets, the same code for
// Switchboard + @switchboard/redis and socket.io + @socket.io/redis-adapter.

/**
 * @typedef {{
 *   on(ev: string, fn: (...args: any[]) => void): unknown,
 *   serverSideEmit(ev: string, ...args: unknown[]): unknown,
 *   fetchSockets(): Promise<unknown[]>,
 * }} ClusterIo
 */

/**
 * Cross-node ack echo: a client emits `relay` with an ack to its node; the node asks the
 * other node with `io.serverSideEmit("echo", data, cb)` (the adapter's requestsTimeout,
 * 5 s by default, bounds the wait); the other node's
 * server-side `echo` handler answers with the data; the first node acks the client with
 * that answer. Client → node A → Redis → node B → Redis → node A → client.
 * @param {ClusterIo} io
 */
export function installClusterApp(io) {
  io.on("echo", (/** @type {unknown} */ data, /** @type {unknown} */ ack) => {
    if (typeof ack === "function") ack(data);
  });
  io.on("connection", (/** @type {any} */ socket) => {
    socket.on("relay", (/** @type {unknown} */ data, /** @type {unknown} */ ack) => {
      if (typeof ack !== "function") return;
      io.serverSideEmit(
        "echo",
        data,
        (/** @type {unknown} */ err, /** @type {unknown} */ replies) => {
          if (err || !Array.isArray(replies) || replies.length !== 1)
            ack({ error: String(err ?? `replies: ${JSON.stringify(replies)}`) });
          else ack(replies[0]);
        },
      );
    });
  });
}

/**
 * Does a fetched socket look whole: an id, rooms holding it, a handshake with the request's
 * URL and headers (the answering node may send a handshake by reference; the asking node
 * must hand back the real one)?
 * @param {any} s
 */
function complete(s) {
  return (
    typeof s?.id === "string" &&
    s.rooms instanceof Set &&
    s.rooms.has(s.id) &&
    typeof s.handshake?.url === "string" &&
    s.handshake.url.startsWith("/socket.io/") &&
    typeof s.handshake.headers?.host === "string"
  );
}

/**
 * `io.fetchSockets()` in a closed loop, `concurrency` calls in flight, for `durationMs`.
 * Every answer must hold `expected` sockets; the first and the last must be whole.
 * @param {ClusterIo} io
 * @param {{ durationMs: number, concurrency: number, expected: number }} p
 */
export function fetchLoop(io, { durationMs, concurrency, expected }) {
  return new Promise((resolve) => {
    let calls = 0;
    let wrong = 0;
    let errors = 0;
    let inflight = 0;
    let stop = false;
    /** @type {string | null} */
    let firstError = null;
    const t0 = performance.now();
    let tEnd = t0;
    const one = () => {
      inflight++;
      io.fetchSockets().then(
        (sockets) => {
          inflight--;
          calls++;
          if (sockets.length !== expected || !complete(sockets[0]) || !complete(sockets.at(-1)))
            wrong++;
          next();
        },
        (/** @type {unknown} */ err) => {
          inflight--;
          errors++;
          firstError ??= String(err);
          next();
        },
      );
    };
    const next = () => {
      if (!stop) one();
      else if (inflight === 0) resolve({ calls, elapsedMs: tEnd - t0, wrong, errors, firstError });
    };
    for (let i = 0; i < concurrency; i++) one();
    setTimeout(() => {
      stop = true;
      tEnd = performance.now();
    }, durationMs);
  });
}
