import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ask, filesUnder, type Harness, once, startHarness } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ pollIntervalMs: 50 });
});
afterEach(async () => {
  await h.close();
});

const ZERO = {
  chatOnline: 0,
  uploadsOpen: 0,
  recordingsActive: 0,
  pollVoters: 0,
  pollConnected: 0,
  pins: 0,
};

describe("per-connection state", () => {
  it("is released when clients leave mid-way through every demo", async () => {
    const clients = [];
    for (let i = 0; i < 5; i++) {
      const chat = h.connect("/chat", { auth: { username: `user${i}` } });
      const audio = h.connect("/audio");
      const uploads = h.connect("/uploads");
      const polls = h.connect("/polls");
      const where = h.connect("/where");
      await Promise.all([
        once(chat, "welcome"),
        once(audio, "connect"),
        once(uploads, "connect"),
        once(polls, "polls:questions"),
        once(where, "connect"),
      ]);
      await ask(chat, "room:join", "music");
      await ask(audio, "audio:start", { sampleRate: 16000, channels: 1 });
      await ask(audio, "audio:chunk", Buffer.alloc(320));
      const started = await ask(uploads, "upload:start", { name: `f${i}.bin`, size: 1000 });
      await ask(uploads, "upload:chunk", { id: started.id, offset: 0, data: Buffer.alloc(10) });
      await ask(polls, "vote", { question: "coffee", option: "tea" });
      await ask(where, "pin:set", { lon: i, lat: i });
      clients.push(chat, audio, uploads, polls, where);
    }
    expect(h.app.stats()).toEqual({
      chatOnline: 5,
      uploadsOpen: 5,
      recordingsActive: 5,
      pollVoters: 5,
      pollConnected: 5,
      pins: 5,
    });
    expect(await filesUnder(h.dataDir)).toHaveLength(10); // 5 partial recordings + 5 .part files

    for (const c of clients) c.disconnect();
    await expect.poll(() => h.app.stats(), { timeout: 10_000 }).toEqual(ZERO);
    await expect.poll(() => filesUnder(h.dataDir), { timeout: 10_000 }).toEqual([]);
  });
});
