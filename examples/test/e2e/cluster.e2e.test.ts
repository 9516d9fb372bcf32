import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, requireRedis } from "../redis.js";
import { enterChat, send, visibleMessages } from "./chat-page.js";
import { launchBrowser, openPage, screenshot, startApp, type TestApp } from "./harness.js";

// Two demo apps sharing the machine's Redis (as `npm run start:cluster` runs them, here in
// this process under a key of the test's own), and a browser on each.

const haveRedis = await requireRedis("the cluster e2e test");

let browser: Browser;
let nodes: TestApp[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!haveRedis) return;
  const cluster = { redisUrl: REDIS_URL, key: `demo-e2e-${randomBytes(5).toString("hex")}` };
  [browser, ...nodes] = await Promise.all([
    launchBrowser(),
    startApp({ cluster }),
    startApp({ cluster }),
  ]);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(nodes.map((n) => n.close()));
});

async function join(username: string, base: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const opened = await openPage(context, `${base}/chat.html`);
  await enterChat(opened.page, username);
  return opened;
}

describe.skipIf(!haveRedis)("chat across two demo processes sharing Redis", () => {
  it("carries messages and the user list between a browser on each node", async () => {
    const [one, two] = nodes as [TestApp, TestApp];
    expect(one.app.port).not.toBe(two.app.port);
    const ada = await join("ada", one.app.url);
    const bob = await join("bob", two.app.url);
    for (const { page } of [ada, bob]) {
      await expect.poll(() => page.locator("#users li").allTextContents()).toEqual(["ada", "bob"]);
    }
    await send(ada.page, "hello from node 1");
    await send(bob.page, "hi from node 2");
    for (const { page } of [ada, bob]) {
      await expect
        .poll(() => visibleMessages(page))
        .toEqual(["ada: hello from node 1", "bob: hi from node 2"]);
    }
    await screenshot(bob.page, "chat-cluster");
    await bob.page.context().close();
    await expect
      .poll(() => ada.page.locator("#users li").allTextContents(), { timeout: 15_000 })
      .toEqual(["ada"]);
    expect(ada.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });
});
