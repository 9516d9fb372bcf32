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
  [browser, app] = await Promise.all([launchBrowser(), startApp()]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await browser?.close();
  await app?.close();
});

async function open(pathname: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const opened = await openPage(context, `${app.app.url}${pathname}`);
  await waitConnected(opened.page);
  await opened.page.locator("svg.world path.land").first().waitFor({ timeout: 15_000 });
  return opened;
}

/** Clicks the map at a fraction of its width and height. */
async function clickMap(page: Page, fx: number, fy: number): Promise<void> {
  const box = await page.locator("svg.world").boundingBox();
  if (!box) throw new Error("no map");
  await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
}

const adminPins = (page: Page) =>
  page.locator("svg.world g[data-pin-id]").evaluateAll((gs) =>
    gs.map((g) => ({
      id: g.getAttribute("data-pin-id"),
      lon: Number(g.getAttribute("data-lon")),
      lat: Number(g.getAttribute("data-lat")),
      label: g.querySelector("text")?.textContent ?? "",
    })),
  );

describe("where do you live?", () => {
  it("a pin appears on every admin map and disappears when its participant leaves", async () => {
    const admin1 = await open("/where-admin.html");
    const admin2 = await open("/where-admin.html");
    const alice = await open("/where.html");
    const bob = await open("/where.html");

    await alice.page.fill("#label", "Alice");
    await clickMap(alice.page, 0.5, 0.5); // the middle of the globe: lon 0, lat 0
    await bob.page.fill("#label", "Bob");
    await clickMap(bob.page, 0.3, 0.3); // north-west: the Americas

    for (const admin of [admin1, admin2]) {
      await expect.poll(() => adminPins(admin.page).then((p) => p.length)).toBe(2);
    }
    const pins = await adminPins(admin1.page);
    const a = pins.find((p) => p.label === "Alice");
    const b = pins.find((p) => p.label === "Bob");
    expect(Math.abs(a?.lon ?? 99)).toBeLessThan(2);
    expect(Math.abs(a?.lat ?? 99)).toBeLessThan(2);
    expect(b?.lon).toBeLessThan(-30);
    expect(b?.lat).toBeGreaterThan(10);
    expect(await admin1.page.getAttribute("#map", "data-pin-count")).toBe("2");
    await screenshot(alice.page, "where");
    await screenshot(admin1.page, "where-admin");

    // Alice moves her pin: still one pin for her, at the new place.
    await clickMap(alice.page, 0.6, 0.35);
    await expect
      .poll(() => adminPins(admin2.page).then((p) => p.find((x) => x.label === "Alice")?.lon))
      .toBeGreaterThan(10);
    expect((await adminPins(admin2.page)).length).toBe(2);

    // Bob closes the page: his pin leaves every admin map.
    await bob.page.context().close();
    for (const admin of [admin1, admin2]) {
      await expect
        .poll(() => adminPins(admin.page).then((p) => p.map((x) => x.label)), { timeout: 15_000 })
        .toEqual(["Alice"]);
    }
    // A late admin gets the current pins on connect.
    const late = await open("/where-admin.html");
    await expect
      .poll(() => adminPins(late.page).then((p) => p.map((x) => x.label)))
      .toEqual(["Alice"]);
    for (const page of [admin1, admin2, alice, late]) expect(page.errors).toEqual([]);
  });
});
