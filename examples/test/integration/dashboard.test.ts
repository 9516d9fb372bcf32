import { io } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, once, startHarness } from "./helpers.js";

/** The demo app with the dashboard on (as `DASHBOARD_PASSWORD=… npm start` runs it). */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const auth = { username: "admin", password: "demo-dashboard" };
const BASIC = `Basic ${Buffer.from("admin:demo-dashboard").toString("base64")}`;

describe("the demo's dashboard", () => {
  it("is off by default", async () => {
    h = await startHarness();
    const res = await fetch(`${h.app.url}/dashboard`, { headers: { Authorization: BASIC } });
    expect(res.status).toBe(404); // Express answers: nothing is mounted there
  });

  it("serves /dashboard behind basic auth next to the demos, and lists the chat's sockets", async () => {
    h = await startHarness({ dashboard: auth });
    expect((await fetch(`${h.app.url}/dashboard`)).status).toBe(401);
    expect(
      (await fetch(`${h.app.url}/dashboard`, { headers: { Authorization: BASIC } })).status,
    ).toBe(200);
    expect((await fetch(`${h.app.url}/`)).status).toBe(200); // the demos' index still
    const chat = h.connect("/chat", { auth: { username: "ada" } });
    await once(chat, "connect");
    const { token } = (await (
      await fetch(`${h.app.url}/dashboard/token`, { headers: { Authorization: BASIC } })
    ).json()) as { token: string };
    const page = io(`${h.app.url}/_switchboard`, {
      auth: { token },
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    try {
      await once(page, "connect");
      const list = (await page.timeout(5000).emitWithAck("sockets", { nsp: "/chat" })) as {
        sockets: { id: string }[];
      };
      expect(list.sockets.map((s) => s.id)).toEqual([chat.id]);
    } finally {
      page.disconnect();
    }
  });
});
