import { z } from "zod";
import {
  checkRoomName,
  checkUsername,
  MAX_MESSAGE_LENGTH,
  MAX_ROOMS_PER_USER,
  roomKey,
  SUGGESTED_ROOMS,
} from "../lib/chat-rules.js";
import { demoLog } from "../lib/log.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/** `socket.data` of a chat socket: plain data, so other nodes can read it (fetchSockets). */
interface ChatData {
  username: string;
}

/**
 * Chat on `/chat`. The username comes from `auth.username` (or the `username` query
 * parameter); without one the middleware refuses the connection, which the client sees
 * as `connect_error` with `err.message` and `err.data.reason`.
 *
 * Who is online comes from presence (issue 18): each socket tracks its username in the
 * namespace-wide presence set, so a user with several tabs is listed once, joins with the
 * first and leaves with the last. With the Redis adapter the set is cluster-wide (each node
 * replicates the others' changes): every node fires the same join / leave, and pushes them
 * and the list to its own sockets only (`nsp.local`), so each page hears each change once.
 * Messages and rooms are broadcasts: the chat works across processes as it does in one.
 *
 * Client → server: `message` ({text, room?}, ack), `room:join` (name, ack),
 * `room:leave` (name, ack). Server → client: `welcome`, `users`, `user:joined`,
 * `user:left`, `message`, `room:members`.
 *
 * Rate limited (issue 18): a socket sends at most 30 events per 10 s, and 5 messages per
 * 5 s on top; a refused message's ack is `{ error: { code: "SB_ERR_RATE_LIMITED",
 * retryAfter } }` (the page shows "slow down"), and a socket refused 100 times in 10 s is
 * disconnected (reason "rate limited").
 */
/**
 * What a chat message must be (issue 18, validated events): checked by the server before
 * the handler runs; an invalid one is answered `{ error: { code: "SB_ERR_VALIDATION",
 * issues } }` and never reaches the handler, which gets the parsed value (text trimmed).
 */
export const chatMessageSchema = z.object({
  text: z.string().trim().min(1, "a message needs some text").max(MAX_MESSAGE_LENGTH),
  room: z.string().nullish(),
});

export function mountChat(nsp: DemoNamespace): { online(): number } {
  nsp.validate({ message: chatMessageSchema });
  nsp.rateLimit({
    points: 30,
    duration: 10_000,
    perEvent: { message: { points: 5, duration: 5000 } },
    maxViolations: 100,
  });
  let online = 0; // sockets connected to this node
  // Made at mount: a node starts replicating the cluster's presence before its first user.
  const users = nsp.presence();

  /** Every user of the namespace, on every node (waits for a starting node's first sync). */
  const userList = async (): Promise<string[]> =>
    (await users.list()).map((entry) => entry.id).sort((a, b) => a.localeCompare(b));
  /** Pushes a change and the new list to this node's sockets (every node does the same). */
  const announce = (event: "user:joined" | "user:left", username: string) => {
    nsp.local.emit(event, { username, at: Date.now() });
    userList().then(
      (list) => nsp.local.emit("users", list),
      (err: unknown) => demoLog("user list of %s failed: %s", nsp.name, err),
    );
  };
  users.on("join", (entry) => announce("user:joined", entry.id));
  users.on("leave", (entry) => announce("user:left", entry.id));

  nsp.use((socket: DemoSocket, next) => {
    const raw = socket.handshake.auth?.username ?? socket.handshake.query?.username;
    const checked = checkUsername(raw);
    if (!checked.ok) {
      const err = new Error(checked.error) as Error & { data?: unknown };
      err.data = { reason: "username", detail: checked.error };
      demoLog(
        "refused %s %s from %s: %s",
        nsp.name,
        socket.id,
        socket.handshake.address,
        err.message,
      );
      next(err);
      return;
    }
    socket.data = { username: checked.name } satisfies ChatData;
    next();
  });

  nsp.on("connection", (socket: DemoSocket) => {
    const data = socket.data as ChatData;
    const chatRooms = new Set<string>(); // rooms this socket joined (by name)
    online += 1;
    socket.presence.track({ id: data.username });
    void userList().then(
      (list) => {
        socket.emit("welcome", { username: data.username, users: list, rooms: SUGGESTED_ROOMS });
      },
      (err: unknown) => {
        demoLog("user list of %s failed: %s", nsp.name, err);
        socket.emit("welcome", { username: data.username, users: [], rooms: SUGGESTED_ROOMS });
      },
    );

    socket.on("message", (...args) => {
      const ack = takeAck(args);
      // Already validated and trimmed by chatMessageSchema (the namespace's table).
      const payload = args[0] as z.output<typeof chatMessageSchema>;
      const text = payload.text;
      const at = Date.now();
      if (payload?.room === undefined || payload.room === null) {
        nsp.emit("message", { from: data.username, text, at });
        return ack({ ok: true });
      }
      const room = checkRoomName(payload.room);
      if (room === null || !chatRooms.has(room)) {
        return ack({ ok: false, error: "join the room before writing to it" });
      }
      nsp.to(roomKey(room)).emit("message", { from: data.username, text, room, at });
      ack({ ok: true });
    });

    socket.on("room:join", (...args) => {
      const ack = takeAck(args);
      const room = checkRoomName(args[0]);
      if (room === null) return ack({ ok: false, error: "room names are a-z, 0-9 and -" });
      if (!chatRooms.has(room) && chatRooms.size >= MAX_ROOMS_PER_USER) {
        return ack({ ok: false, error: `at most ${MAX_ROOMS_PER_USER} rooms` });
      }
      chatRooms.add(room);
      socket.join(roomKey(room));
      nsp.to(roomKey(room)).emit("room:members", {
        room,
        event: "joined",
        username: data.username,
        at: Date.now(),
      });
      ack({ ok: true, room });
    });

    socket.on("room:leave", (...args) => {
      const ack = takeAck(args);
      const room = checkRoomName(args[0]);
      if (room === null || !chatRooms.has(room))
        return ack({ ok: false, error: "not in that room" });
      chatRooms.delete(room);
      socket.leave(roomKey(room));
      nsp.to(roomKey(room)).emit("room:members", {
        room,
        event: "left",
        username: data.username,
        at: Date.now(),
      });
      ack({ ok: true, room });
    });

    socket.on("disconnect", () => {
      online -= 1; // presence takes the user out (when it was its last tab)
    });
  });
  return { online: () => online };
}
