import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { enterChat, send, visibleMessages } from "./chat-page.js";
import { launchBrowser, openPage, screenshot, startApp, type TestApp } from "./harness.js";
import { startProxy } from "./tcp-proxy.js";

let browser: Browser;
let app: TestApp;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, app] = await Promise.all([launchBrowser(), startApp()]);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function join(
  username: string,
  base = app.app.url,
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const opened = await openPage(context, `${base}/chat.html`);
  await enterChat(opened.page, username);
  return opened;
}

describe("chat demo in two browsers", () => {
  it("is linked from the index page", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const { page, errors } = await openPage(context, `${app.app.url}/`);
    expect(await page.locator(".demo h2").allTextContents()).toEqual([
      "Chat",
      "Audio recording",
      "File uploads",
      "Live polls",
      "Where do you live?",
    ]);
    await screenshot(page, "index");
    await page.click('a[href="/chat.html"]');
    await page.locator("#login").waitFor();
    expect(errors).toEqual([]);
  });

  it("refuses a connection without a username and shows why", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const { page } = await openPage(context, `${app.app.url}/chat.html`);
    await page.click("#join");
    await expect
      .poll(() => page.textContent("#login-error"), { timeout: 15_000 })
      .toContain("username is required");
    expect(await page.getAttribute("#status", "data-state")).toBe("error");
    expect(await page.isVisible("#app")).toBe(false);
    await screenshot(page, "chat-refused");
  });

  it("announces joins and leaves, lists who is online and broadcasts messages", async () => {
    const ada = await join("ada");
    const bob = await join("bob");
    await expect
      .poll(() => ada.page.locator("#users li").allTextContents())
      .toEqual(["ada", "bob"]);
    await expect.poll(() => ada.page.locator(".notice").allTextContents()).toContain("bob joined");

    await send(ada.page, "hello bob");
    await send(bob.page, "hi ada");
    for (const { page } of [ada, bob]) {
      await expect.poll(() => visibleMessages(page)).toEqual(["ada: hello bob", "bob: hi ada"]);
    }
    await screenshot(ada.page, "chat");

    await bob.page.context().close();
    await expect
      .poll(() => ada.page.locator("#users li").allTextContents(), { timeout: 15_000 })
      .toEqual(["ada"]);
    await expect.poll(() => ada.page.locator(".notice").allTextContents()).toContain("bob left");
    expect(ada.errors).toEqual([]);
  });

  it("scopes room messages to the room's members", async () => {
    const ada = await join("ada");
    const bob = await join("bob");
    const cy = await join("cy");
    for (const { page } of [ada, bob]) {
      await page.click('#rooms li[data-room="music"] button');
      await page.locator('.tab[data-channel="music"].active').waitFor();
    }
    await send(ada.page, "only for music fans");
    await expect.poll(() => visibleMessages(bob.page)).toEqual(["ada: only for music fans"]);
    // cy never joined: the room message must not reach them, a later broadcast does.
    await bob.page.click('.tab[data-channel=""]');
    await send(bob.page, "hello everyone");
    await expect.poll(() => visibleMessages(cy.page)).toEqual(["bob: hello everyone"]);
    expect(await cy.page.locator("li.msg[data-room='music']").count()).toBe(0);
    await expect
      .poll(() => ada.page.locator('.tab[data-channel=""]').getAttribute("class"))
      .toContain("unread");

    // bob leaves the room: later room messages only reach ada.
    await bob.page.click('#rooms li[data-room="music"] button');
    await expect.poll(() => bob.page.locator('.tab[data-channel="music"]').count()).toBe(0);
    await send(ada.page, "still here?");
    await expect
      .poll(() => visibleMessages(ada.page))
      .toEqual(["ada: only for music fans", "ada: still here?"]);
    // cy's message arrives after ada's in every browser: once bob has it, bob would have
    // had "still here?" too (messages of an unknown room open a log of their own).
    await send(cy.page, "sync");
    await expect.poll(() => visibleMessages(bob.page)).toEqual(["bob: hello everyone", "cy: sync"]);
    expect(await bob.page.locator("li.msg").count()).toBe(2);
    expect(await bob.page.locator("li.msg", { hasText: "still here?" }).count()).toBe(0);
  });

  it("rides out a network blip: reconnecting, then the same chat again, no login form", async () => {
    const proxy = await startProxy(app.app.port);
    onTestFinished(() => proxy.close());
    const ada = await join("ada", proxy.url); // behind the network that will blink
    const bob = await join("bob");
    await proxy.cut();
    await expect
      .poll(() => ada.page.getAttribute("#status", "data-connection"), { timeout: 15_000 })
      .toBe("reconnecting");
    // The server saw ada go: bob's list says so, while ada's page keeps the chat.
    await expect
      .poll(() => bob.page.locator("#users li").allTextContents(), { timeout: 15_000 })
      .toEqual(["bob"]);
    expect(await ada.page.isVisible("#app")).toBe(true);
    expect(await ada.page.isVisible("#login")).toBe(false);

    await proxy.restore();
    await expect
      .poll(() => ada.page.getAttribute("#status", "data-connection"), { timeout: 20_000 })
      .toBe("connected");
    await expect
      .poll(() => bob.page.locator("#users li").allTextContents())
      .toEqual(["ada", "bob"]);
    await send(ada.page, "back online");
    await expect.poll(() => visibleMessages(bob.page)).toContain("ada: back online");
    expect(await ada.page.isVisible("#login")).toBe(false);
  });
});
