import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseWavHeader } from "../../src/lib/wav.js";
import { ask, type Harness, once, startHarness } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ pollIntervalMs: 50, maxRecordingBytes: 64 });
});
afterEach(async () => {
  await h.close();
});

describe("HTTP", () => {
  it("serves the index linking the five demos, and the client bundle", async () => {
    const html = await (await fetch(`${h.app.url}/`)).text();
    for (const page of [
      "chat",
      "audio",
      "uploads",
      "polls",
      "polls-admin",
      "where",
      "where-admin",
    ]) {
      expect(html).toContain(`href="/${page}.html"`);
      const res = await fetch(`${h.app.url}/${page}.html`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('src="/socket.io/socket.io.js"');
    }
    const client = await fetch(`${h.app.url}/socket.io/socket.io.js`);
    expect(client.status).toBe(200);
    expect(client.headers.get("content-type")).toMatch(/javascript/);
    const atlas = await fetch(`${h.app.url}/build/countries-110m.json`);
    expect(atlas.status).toBe(200);
  });

  it("never serves files outside the data folders, nor partial uploads", async () => {
    for (const p of [
      "/data/uploads/..%2F..%2Fpackage.json",
      "/data/uploads/%2e%2e",
      "/data/uploads/x.part",
      "/data/audio/..%2Fuploads%2Fx",
      "/data/audio/rec-..%2F..%2Fx.wav",
      "/data/audio/evil.wav",
    ]) {
      expect((await fetch(`${h.app.url}${p}`)).status, p).toBe(404);
    }
  });
});

describe("/chat", () => {
  it("refuses a connection without a username with a connect_error", async () => {
    const s = h.connect("/chat");
    const [err] = await once(s, "connect_error");
    expect(err.message).toBe("a username is required");
    expect(err.data).toMatchObject({ reason: "username" });
  });

  it("takes the username from auth or query and announces joins", async () => {
    const a = h.connect("/chat", { auth: { username: "ada" } });
    const [welcome] = await once(a, "welcome");
    expect(welcome).toMatchObject({ username: "ada", users: ["ada"] });
    const joined = once(a, "user:joined");
    const b = h.connect("/chat", { query: { username: "bob" } });
    await once(b, "welcome");
    expect((await joined)[0]).toMatchObject({ username: "bob" });
    const msg = once(a, "message");
    expect(await ask(b, "message", { text: "hi" })).toEqual({ ok: true });
    expect((await msg)[0]).toMatchObject({ from: "bob", text: "hi" });
    expect(await ask(b, "message", { text: "x", room: "music" })).toMatchObject({ ok: false });
  });

  it("validates messages with a schema (zod): invalid ones never reach the handler", async () => {
    const v = h.connect("/chat", { auth: { username: "val" } });
    await once(v, "welcome");
    const seen: unknown[] = [];
    v.on("message", (m: unknown) => seen.push(m));
    // Empty text, too long, not a string, not an object: refused before the handler.
    for (const bad of [{ text: "   " }, { text: "x".repeat(1001) }, { text: 42 }, "hi"]) {
      expect(await ask(v, "message", bad)).toMatchObject({
        error: { code: "SB_ERR_VALIDATION", event: "message" },
      });
    }
    expect(await ask(v, "message", { text: "  ok  " })).toEqual({ ok: true });
    await expect.poll(() => seen).toEqual([expect.objectContaining({ from: "val", text: "ok" })]);
  });

  it("rate-limits messages: the sixth within 5 s is refused with SB_ERR_RATE_LIMITED", async () => {
    const a = h.connect("/chat", { auth: { username: "flood" } });
    await once(a, "welcome");
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(a, "message", { text: `m${i}` }));
    expect(answers.slice(0, 5)).toEqual(Array(5).fill({ ok: true }));
    expect(answers[5]).toMatchObject({ error: { code: "SB_ERR_RATE_LIMITED", event: "message" } });
  });
});

describe("/audio", () => {
  it("validates the format, whole frames and the size bound", async () => {
    const s = h.connect("/audio");
    await once(s, "connect");
    expect(await ask(s, "audio:start", { sampleRate: 5, channels: 1 })).toMatchObject({
      ok: false,
      code: "bad-format",
    });
    expect(await ask(s, "audio:chunk", Buffer.alloc(4))).toMatchObject({
      ok: false,
      code: "not-recording",
    });
    expect(await ask(s, "audio:start", { sampleRate: 8000, channels: 1 })).toMatchObject({
      ok: true,
    });
    expect(await ask(s, "audio:chunk", Buffer.alloc(3))).toMatchObject({
      ok: false,
      code: "bad-chunk",
    });
    expect(
      await ask(s, "audio:chunk", Buffer.from(Int16Array.from([1, 2, 3]).buffer)),
    ).toMatchObject({ ok: true });
    const news = once(s, "audio:new");
    const done = await ask(s, "audio:end");
    expect(done).toMatchObject({ ok: true, bytes: 50 });
    expect((await news)[0]).toMatchObject({ file: done.file, url: done.url });
    const wav = Buffer.from(await (await fetch(`${h.app.url}${done.url}`)).arrayBuffer());
    expect(parseWavHeader(wav)).toMatchObject({ sampleRate: 8000, dataBytes: 6 });
    expect((await ask(s, "audio:list")).recordings).toHaveLength(1);

    // over maxRecordingBytes (64): refused, and the file is gone
    await ask(s, "audio:start", { sampleRate: 8000, channels: 1 });
    expect(await ask(s, "audio:chunk", Buffer.alloc(66))).toMatchObject({
      ok: false,
      code: "too-long",
    });
    await expect.poll(async () => (await readdir(path.join(h.dataDir, "audio"))).length).toBe(1);
  });
});

describe("/polls", () => {
  it("pushes the tally to presenters only when it changed, and drops leavers' votes", async () => {
    const admin = h.connect("/polls-admin");
    const tallies: { questions: { id: string; counts: number[] }[] }[] = [];
    admin.on("tally", (t) => tallies.push(t));
    await expect.poll(() => tallies.length).toBe(1);

    const voter = h.connect("/polls");
    const [{ questions }] = await once(voter, "polls:questions");
    expect(questions.map((q: { id: string }) => q.id)).toEqual(["transport", "language", "coffee"]);
    expect(await ask(voter, "vote", { question: "transport", option: "websocket" })).toEqual({
      ok: true,
    });
    expect(await ask(voter, "vote", { question: "transport", option: "websocket" })).toEqual({
      ok: true,
    });
    expect(await ask(voter, "vote", { question: "transport", option: "nope" })).toMatchObject({
      ok: false,
    });
    const counts = () => tallies.at(-1)?.questions.find((q) => q.id === "transport")?.counts;
    await expect.poll(counts).toEqual([1, 0, 0]);
    expect(await ask(voter, "vote", { question: "transport", option: "polling" })).toEqual({
      ok: true,
    });
    await expect.poll(counts).toEqual([0, 1, 0]);
    voter.disconnect();
    await expect.poll(counts).toEqual([0, 0, 0]);
    // every push differs from the one before it
    for (let i = 1; i < tallies.length; i++) {
      expect(JSON.stringify(tallies[i])).not.toBe(JSON.stringify(tallies[i - 1]));
    }
  });
});

describe("/polls rate limit", () => {
  it("refuses the eleventh vote change within 10 s with SB_ERR_RATE_LIMITED and a retryAfter", async () => {
    const voter = h.connect("/polls");
    await once(voter, "polls:questions");
    const options = ["websocket", "polling", "both"];
    const answers: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      answers.push(
        await ask(voter, "vote", { question: "transport", option: options[i % options.length] }),
      );
    }
    for (const answer of answers.slice(0, 10)) expect(answer).toMatchObject({ ok: true });
    expect(answers[10]).toMatchObject({ error: { code: "SB_ERR_RATE_LIMITED", event: "vote" } });
    expect((answers[10] as { error: { retryAfter: number } }).error.retryAfter).toBeGreaterThan(0);
    expect(voter.connected).toBe(true);
  });
});

describe("/where", () => {
  it("sends pins across namespaces and removes them when the participant leaves", async () => {
    const admin = h.connect("/where-admin");
    const [initial] = await once(admin, "pins");
    expect(initial).toEqual([]);
    const p = h.connect("/where");
    await once(p, "connect");
    expect(await ask(p, "pin:set", { lon: 500, lat: 0 })).toMatchObject({ ok: false });
    const added = once(admin, "pin:set");
    const answer = await ask(p, "pin:set", { lon: 2.35, lat: 48.85, label: "Paris" });
    expect(answer).toMatchObject({ ok: true, pin: { lon: 2.35, lat: 48.85, label: "Paris" } });
    const [pin] = await added;
    expect(pin).toEqual(answer.pin);
    const removed = once(admin, "pin:remove");
    p.disconnect();
    expect((await removed)[0]).toEqual({ id: pin.id });
  });

  it("sends every participant every pin: the list on connect, then changes live", async () => {
    const first = h.connect("/where");
    await once(first, "pins");
    const { pin } = await ask(first, "pin:set", { lon: 10.75, lat: 59.91, label: "Oslo" });
    const second = h.connect("/where");
    const [initial] = await once(second, "pins");
    expect(initial).toEqual([pin]);
    const seen = once(first, "pin:set");
    const answer = await ask(second, "pin:set", { lon: -77.04, lat: -12.05 });
    expect((await seen)[0]).toEqual(answer.pin);
    const gone = once(second, "pin:remove");
    first.disconnect();
    expect((await gone)[0]).toEqual({ id: pin.id });
  });
});

describe("/polls-admin figures", () => {
  it("counts connected voters apart from voters who voted; no change time before a vote", async () => {
    const admin = h.connect("/polls-admin");
    const tallies: { connected: number; voted: number; changedAt: number | null }[] = [];
    admin.on("tally", (t) => tallies.push(t));
    await expect
      .poll(() => tallies.at(-1))
      .toMatchObject({ connected: 0, voted: 0, changedAt: null });
    const voter = h.connect("/polls");
    await once(voter, "polls:questions");
    await expect
      .poll(() => tallies.at(-1))
      .toMatchObject({ connected: 1, voted: 0, changedAt: null });
    const before = Date.now();
    await ask(voter, "vote", { question: "coffee", option: "tea" });
    await expect.poll(() => tallies.at(-1)?.voted).toBe(1);
    expect(tallies.at(-1)?.changedAt).toBeGreaterThanOrEqual(before);
  });
});
