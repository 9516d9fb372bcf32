import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DemoProcess, spawnDemo } from "../server-process.js";
import { enterChat, send } from "./chat-page.js";
import { ensureBundle, launchBrowser, screenshot, waitConnected } from "./harness.js";

// The demo server runs in a child process (its real entry point) so that it can be
// stopped and started again on the same port while the pages stay open.

let browser: Browser;
let dataDir: string;
let server: DemoProcess | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser] = await Promise.all([launchBrowser(), ensureBundle()]);
});
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "sb-demo-restart-"));
  server = await spawnDemo({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir });
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await server?.stop("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});
afterAll(async () => {
  await browser?.close();
});

const base = () => `http://127.0.0.1:${server?.port}`;

async function restart(signal: NodeJS.Signals): Promise<() => Promise<void>> {
  const old = server as DemoProcess;
  await old.stop(signal);
  return async () => {
    server = await spawnDemo({ PORT: String(old.port), HOST: "127.0.0.1", DATA_DIR: dataDir });
  };
}

async function open(pathname: string, options = {}): Promise<Page> {
  const context = await browser.newContext(options);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${base()}${pathname}`);
  return page;
}

async function joinChat(username: string): Promise<Page> {
  const page = await open("/chat.html");
  await enterChat(page, username);
  return page;
}

const visibleTexts = (page: Page) =>
  page.locator(".chat-log:not([hidden]) li.msg .text").allTextContents();

const connection = (page: Page) => page.getAttribute("#status", "data-connection");

describe("a server restart", () => {
  it("during a chat: no login form, the client reconnects, rooms and messages flow again", async () => {
    const ada = await joinChat("ada");
    const bob = await joinChat("bob");
    for (const page of [ada, bob]) {
      await page.click('#rooms li[data-room="music"] button');
      await page.locator('.tab[data-channel="music"].active').waitFor();
    }
    await send(ada, "before the restart");
    await expect.poll(() => visibleTexts(bob)).toEqual(["before the restart"]);

    const start = await restart("SIGTERM");
    for (const page of [ada, bob]) {
      await expect.poll(() => connection(page), { timeout: 15_000 }).toBe("reconnecting");
      expect(await page.isVisible("#login")).toBe(false);
      expect(await page.isVisible("#app")).toBe(true);
    }
    await expect
      .poll(() => ada.locator(".notice").allTextContents())
      .toContainEqual(expect.stringMatching(/^Connection lost .*reconnecting/));
    // Sending while the server is down keeps the text and says why.
    await ada.fill("#text", "while down");
    await ada.press("#text", "Enter");
    await expect
      .poll(() => ada.locator(".chat-log:not([hidden]) .notice").allTextContents())
      .toContainEqual(expect.stringContaining("Not sent: not connected"));
    expect(await ada.inputValue("#text")).toBe("while down");
    await screenshot(ada, "chat-reconnecting");

    await start();
    for (const page of [ada, bob]) {
      await expect.poll(() => connection(page), { timeout: 20_000 }).toBe("connected");
      // The other page may come back up to one backoff delay (randomized) later.
      await expect
        .poll(() => page.locator("#users li").allTextContents(), { timeout: 20_000 })
        .toEqual(["ada", "bob"]);
      expect(await page.isVisible("#login")).toBe(false);
      expect(await page.textContent("#login-error")).toBe("");
    }
    await expect.poll(() => ada.locator(".notice").allTextContents()).toContain("Reconnected.");

    // The room was joined again on the new server: a room message reaches bob.
    await send(ada, "while down");
    await send(ada, "after the restart");
    await expect
      .poll(() => visibleTexts(bob))
      .toEqual(["before the restart", "while down", "after the restart"]);
    // And everyone's channel works too.
    await bob.click('.tab[data-channel=""]');
    await ada.click('.tab[data-channel=""]');
    await send(bob, "hello again");
    await expect.poll(() => visibleTexts(ada)).toEqual(["hello again"]);
  });

  it("a refusal is not a restart: the login form comes back with the server's reason", async () => {
    const page = await open("/chat.html");
    await page.fill("#username", "   ");
    await page.click("#join");
    await expect.poll(() => connection(page), { timeout: 15_000 }).toBe("refused");
    expect(await page.textContent("#status")).toBe("refused: a username is required");
    expect(await page.textContent("#login-error")).toContain("a username is required");
    expect(await page.isVisible("#login")).toBe(true);
  });

  it("after a crash every demo's badge says reconnecting, then connected, and pins come back", async () => {
    const chat = await joinChat("ada");
    const where = await open("/where.html", {
      permissions: ["geolocation"],
      geolocation: { latitude: 51.5074, longitude: -0.1278 },
    });
    await where.locator("g[data-mine='true']").waitFor({ timeout: 15_000 });
    const pages = [
      chat,
      where,
      await open("/audio.html"),
      await open("/uploads.html"),
      await open("/polls.html"),
      await open("/polls-admin.html"),
      await open("/where-admin.html"),
    ];
    for (const page of pages) await waitConnected(page);
    const admin = pages[6] as Page;
    await expect.poll(() => admin.locator("g[data-pin-id]").count()).toBe(1);

    const start = await restart("SIGKILL");
    for (const page of pages) {
      await expect.poll(() => connection(page), { timeout: 15_000 }).toBe("reconnecting");
      expect(await page.getAttribute("#status", "data-state")).toBe("warn");
      expect(await page.textContent("#status")).toBe("reconnecting…");
    }
    await start();
    for (const page of pages) {
      await expect.poll(() => connection(page), { timeout: 20_000 }).toBe("connected");
    }
    // The participant's page put its pin back on the new server: the admin sees it.
    await expect
      .poll(
        () =>
          admin
            .locator("g[data-pin-id]")
            .evaluateAll((gs) =>
              gs.map((g) => [g.getAttribute("data-lat"), g.getAttribute("data-lon")]),
            ),
        { timeout: 15_000 },
      )
      .toEqual([["51.51", "-0.13"]]);
    expect(await chat.isVisible("#login")).toBe(false);
  });
});
