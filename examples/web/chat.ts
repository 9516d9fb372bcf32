import {
  $,
  type ClientSocket,
  type ConnectError,
  classifyConnectError,
  connect,
  el,
  formatTime,
  request,
  trackStatus,
} from "./common.js";

interface ChatMessage {
  from: string;
  text: string;
  room?: string;
  at: number;
}

const EVERYONE = "";
const logs = new Map<string, HTMLElement>(); // channel ("" = everyone) → log element
let active = EVERYONE;
let socket: ClientSocket | undefined;
let me = "";

const loginForm = $<HTMLFormElement>("#login");
const loginError = $("#login-error");
const app = $("#app");

function logFor(channel: string): HTMLElement {
  let log = logs.get(channel);
  if (!log) {
    log = el("ol", { class: "chat-log", "data-channel": channel });
    log.hidden = channel !== active;
    $("#logs").append(log);
    logs.set(channel, log);
  }
  return log;
}

function append(channel: string, item: HTMLElement): void {
  const log = logFor(channel);
  log.append(item);
  log.scrollTop = log.scrollHeight;
  if (channel !== active) {
    document.querySelector(`.tab[data-channel="${channel}"]`)?.classList.add("unread");
  }
}

function showMessage(m: ChatMessage): void {
  const channel = m.room ?? EVERYONE;
  append(
    channel,
    el(
      "li",
      { class: m.from === me ? "msg mine" : "msg", "data-from": m.from, "data-room": m.room ?? "" },
      el("span", { class: "from" }, m.from),
      el("span", { class: "text" }, m.text),
      el("time", {}, formatTime(m.at)),
    ),
  );
}

function notice(channel: string, text: string): void {
  append(channel, el("li", { class: "notice" }, text));
}

function renderTabs(): void {
  const tabs = $("#tabs");
  tabs.replaceChildren();
  for (const channel of logs.keys()) {
    const tab = el(
      "button",
      { type: "button", class: channel === active ? "tab active" : "tab", "data-channel": channel },
      channel === EVERYONE ? "Everyone" : `#${channel}`,
    );
    tab.addEventListener("click", () => select(channel));
    tabs.append(tab);
  }
}

function select(channel: string): void {
  active = channel;
  for (const [name, log] of logs) log.hidden = name !== channel;
  renderTabs();
  $<HTMLInputElement>("#text").placeholder =
    channel === EVERYONE ? "Message everyone…" : `Message #${channel}…`;
}

function renderRooms(suggested: readonly string[]): void {
  const list = $("#rooms");
  list.replaceChildren();
  const all = new Set([...suggested, ...[...logs.keys()].filter((c) => c !== EVERYONE)]);
  for (const room of all) {
    const joined = logs.has(room);
    const button = el(
      "button",
      { type: "button", class: joined ? "small secondary" : "small" },
      joined ? "Leave" : "Join",
    );
    button.addEventListener("click", () => void (joined ? leaveRoom(room) : joinRoom(room)));
    list.append(el("li", { "data-room": room }, el("span", {}, `#${room}`), button));
  }
}

let suggestedRooms: readonly string[] = [];

async function joinRoom(room: string): Promise<void> {
  if (!socket) return;
  const answer = await request<{ ok: boolean; room?: string; error?: string }>(
    socket,
    "room:join",
    room,
  );
  if (!answer.ok || !answer.room) {
    notice(active, `Could not join: ${answer.error ?? "refused"}`);
    return;
  }
  logFor(answer.room);
  select(answer.room);
  renderRooms(suggestedRooms);
}

async function leaveRoom(room: string): Promise<void> {
  if (!socket) return;
  const answer = await request<{ ok: boolean }>(socket, "room:leave", room);
  if (!answer.ok) return;
  logs.get(room)?.remove();
  logs.delete(room);
  if (active === room) select(EVERYONE);
  else renderTabs();
  renderRooms(suggestedRooms);
}

function start(username: string): void {
  loginError.textContent = "";
  socket?.disconnect();
  const s = connect("/chat", { auth: { username }, forceNew: true });
  socket = s;
  trackStatus(s);
  let welcomed = false;
  let lost = false;

  // Only a refusal by the server's middleware (no or bad username) sends the user back to
  // the login form. A transport error ("xhr poll error", "websocket error": the server is
  // restarting, the network blinked) keeps the chat on screen while the client retries.
  s.on("connect_error", (err: ConnectError) => {
    if (classifyConnectError(s, err) === "reconnecting") {
      if (welcomed && !lost) notice(EVERYONE, "Server unreachable, reconnecting…");
      lost = welcomed;
      return;
    }
    loginError.textContent = `Connection refused by the server: ${err.message}`;
    loginForm.hidden = false;
    app.hidden = true;
    s.disconnect();
  });

  s.on("disconnect", (reason: string) => {
    if (!s.active || !welcomed) return;
    lost = true;
    app.dataset.offline = "true"; // the list of who is online is stale until the next welcome
    notice(EVERYONE, `Connection lost (${reason}), reconnecting…`);
  });

  /** Who is online (presence on the server: one entry per user, however many tabs). */
  const renderUsers = (users: string[]) => {
    $("#online-count").textContent = String(users.length);
    $("#users").replaceChildren(...users.map((u) => el("li", { class: u === me ? "me" : "" }, u)));
  };

  s.on("welcome", (w: { username: string; users: string[]; rooms: string[] }) => {
    me = w.username;
    renderUsers(w.users);
    suggestedRooms = w.rooms;
    $("#me").textContent = me;
    loginForm.hidden = true;
    app.hidden = false;
    logFor(EVERYONE);
    renderTabs();
    renderRooms(suggestedRooms);
    notice(EVERYONE, welcomed ? "Reconnected." : `Welcome, ${me}!`);
    if (!welcomed) $<HTMLInputElement>("#text").focus();
    welcomed = true;
    lost = false;
    delete app.dataset.offline;
    // Rooms are per connection: after a reconnect the server forgot them, join again.
    for (const room of logs.keys()) {
      if (room !== EVERYONE) void request(s, "room:join", room);
    }
  });

  s.on("users", renderUsers);
  s.on("user:joined", (u: { username: string }) => {
    if (u.username !== me) notice(EVERYONE, `${u.username} joined`);
  });
  s.on("user:left", (u: { username: string }) => notice(EVERYONE, `${u.username} left`));
  s.on("room:members", (e: { room: string; event: string; username: string }) => {
    if (logs.has(e.room)) notice(e.room, `${e.username} ${e.event} #${e.room}`);
  });
  s.on("message", showMessage);
}

loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  start($<HTMLInputElement>("#username").value);
});

$<HTMLFormElement>("#compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#text");
  const text = input.value.trim();
  if (!text || !socket) return;
  if (!socket.connected) {
    notice(active, "Not sent: not connected (reconnecting…); your text stays in the box.");
    return;
  }
  const payload = active === EVERYONE ? { text } : { text, room: active };
  try {
    const answer = await request<{
      ok?: boolean;
      error?: string | { code: string; retryAfter?: number; issues?: { message: string }[] };
    }>(socket, "message", payload);
    if (answer.ok) input.value = "";
    else if (typeof answer.error === "object" && answer.error.code === "SB_ERR_RATE_LIMITED") {
      // The server's rate limit (issue 18): the text stays in the box.
      const seconds = Math.ceil((answer.error.retryAfter ?? 1000) / 1000);
      notice(active, `Not sent: slow down, you can send again in ${seconds} s.`);
    } else if (typeof answer.error === "object" && answer.error.code === "SB_ERR_VALIDATION") {
      // The server's schema (issue 18) said why.
      notice(active, `Not sent: ${answer.error.issues?.[0]?.message ?? "invalid message"}`);
    } else
      notice(active, `Not sent: ${typeof answer.error === "string" ? answer.error : "refused"}`);
  } catch (err) {
    notice(active, `Not sent: ${(err as Error).message}`);
  }
});

$<HTMLFormElement>("#new-room").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#room-name");
  const room = input.value.trim().toLowerCase();
  if (room)
    void joinRoom(room).then(() => {
      input.value = "";
    });
});
