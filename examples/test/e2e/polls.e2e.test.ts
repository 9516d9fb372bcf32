import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchBrowser,
  openPage,
  screenshot,
  startApp,
  type TestApp,
  waitConnected,
} from "./harness.js";

let browser: Browser;
let app: TestApp;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, app] = await Promise.all([launchBrowser(), startApp({ pollIntervalMs: 100 })]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await app?.close();
});

async function open(pathname: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const opened = await openPage(context, `${app.app.url}${pathname}`);
  await waitConnected(opened.page);
  return opened;
}

/** The tally the presenter page rendered, read from its `data-tally` attribute. */
async function chartTally(page: Page): Promise<Record<string, number[]>> {
  return JSON.parse((await page.getAttribute("#charts", "data-tally")) ?? "{}");
}

/** The counts the Chart.js chart of a question holds (mirrored on its canvas). */
async function chartData(page: Page, question: string): Promise<number[]> {
  return JSON.parse(
    (await page.locator(`[data-question="${question}"] canvas`).getAttribute("data-counts")) ??
      "[]",
  );
}

async function vote(page: Page, question: string, option: string): Promise<void> {
  const button = page.locator(`[data-question="${question}"] button[data-option="${option}"]`);
  await button.click();
  await expect.poll(() => button.getAttribute("class")).toContain("chosen");
}

describe("live polls", () => {
  it("votes change the presenter's charts; changed and withdrawn votes too, and leavers' votes go", async () => {
    const admin = await open("/polls-admin.html");
    await expect
      .poll(() => chartTally(admin.page))
      .toEqual({
        transport: [0, 0, 0],
        language: [0, 0, 0, 0],
        coffee: [0, 0, 0],
      });

    const v1 = await open("/polls.html");
    const v2 = await open("/polls.html");
    await vote(v1.page, "transport", "websocket");
    await vote(v2.page, "transport", "websocket");
    await vote(v1.page, "coffee", "tea");
    await expect
      .poll(() => chartTally(admin.page))
      .toMatchObject({ transport: [2, 0, 0], coffee: [0, 1, 0] });
    expect(await chartData(admin.page, "transport")).toEqual([2, 0, 0]);
    expect(await admin.page.textContent("#voters")).toBe("2");

    await vote(v2.page, "transport", "both"); // change of mind
    await vote(v2.page, "language", "ts");
    await expect
      .poll(() => chartTally(admin.page))
      .toMatchObject({ transport: [1, 0, 1], language: [1, 0, 0, 0] });
    await screenshot(admin.page, "polls-admin");
    await screenshot(v2.page, "polls");

    await v1.page.context().close(); // v1 leaves: their votes are removed
    await expect
      .poll(() => chartTally(admin.page), { timeout: 15_000 })
      .toEqual({
        transport: [0, 0, 1],
        language: [1, 0, 0, 0],
        coffee: [0, 0, 0],
      });
    expect(admin.errors).toEqual([]);
    expect(v2.errors).toEqual([]);
  });
});
