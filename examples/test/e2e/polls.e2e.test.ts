import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
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
// Each test starts with no voter: the previous test's pages are gone from the server.
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await expect.poll(() => app.app.stats().pollConnected, { timeout: 15_000 }).toBe(0);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function open(pathname: string, on = app): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const opened = await openPage(context, `${on.app.url}${pathname}`);
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
    expect(await admin.page.textContent("#connected")).toBe("2");
    expect(await admin.page.textContent("#voted")).toBe("2");

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

  it("the presenter's figures: voters connected, of them voted, and no last change before a vote", async () => {
    // A server of its own: "no votes yet" is about the server's whole life.
    const fresh = await startApp({ pollIntervalMs: 100 });
    onTestFinished(() => fresh.close());
    const admin = await open("/polls-admin.html", fresh);
    const figures = async () => ({
      connected: await admin.page.textContent("#connected"),
      voted: await admin.page.textContent("#voted"),
      updated: await admin.page.textContent("#updated"),
    });
    await expect.poll(figures).toEqual({ connected: "0", voted: "0", updated: "no votes yet" });

    const v1 = await open("/polls.html", fresh);
    const v2 = await open("/polls.html", fresh);
    await expect.poll(figures).toEqual({ connected: "2", voted: "0", updated: "no votes yet" });

    await vote(v1.page, "coffee", "coffee");
    await expect.poll(() => admin.page.textContent("#voted")).toBe("1");
    const updated = (await figures()).updated;
    expect(updated).toMatch(/\d/); // a time of day
    expect(isTimeOfDay(updated)).toBe(true);

    // A voter who does not vote changes the count of connected voters, not "last change".
    await v2.page.context().close();
    await expect.poll(figures).toEqual({ connected: "1", voted: "1", updated });
  });

  it("the three charts' plot areas sit at the same height", async () => {
    const admin = await open("/polls-admin.html");
    await admin.page.locator("#charts canvas[data-plot]").nth(2).waitFor();
    const plots = () =>
      admin.page.locator("#charts canvas").evaluateAll((canvases) =>
        canvases.map((c) => {
          const box = c.getBoundingClientRect();
          const plot = JSON.parse(c.getAttribute("data-plot") ?? "{}");
          return { left: box.left, top: box.top + plot.top, bottom: box.top + plot.bottom };
        }),
      );
    await expect.poll(() => plots().then((p) => p.length)).toBe(3);
    const [first, ...others] = await plots();
    if (!first) throw new Error("no chart");
    // Side by side (one row at 1280 px), and aligned to the pixel.
    expect(new Set([first, ...others].map((p) => Math.round(p.left))).size).toBe(3);
    for (const other of others) {
      expect(Math.abs(other.top - first.top)).toBeLessThan(1);
      expect(Math.abs(other.bottom - first.bottom)).toBeLessThan(1);
    }
    expect(first.bottom - first.top).toBeGreaterThan(150);
    await screenshot(admin.page, "polls-admin-aligned");
  });
});

/** A time of day as toLocaleTimeString() writes it (h:mm:ss with an optional AM/PM). */
function isTimeOfDay(text: string | null): boolean {
  return /^\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?$/.test(text ?? "");
}
