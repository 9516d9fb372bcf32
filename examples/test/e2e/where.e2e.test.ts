import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
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
// Each test starts with no participant: the previous test's pages are gone from the server.
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
  await expect.poll(() => app.app.stats().pins, { timeout: 15_000 }).toBe(0);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function open(
  pathname: string,
  options: BrowserContextOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
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

  it("asks the browser's geolocation and pins the (rounded) position", async () => {
    const admin = await open("/where-admin.html");
    const paris = await open("/where.html", {
      permissions: ["geolocation"],
      geolocation: { latitude: 48.856613, longitude: 2.352222 },
    });
    await paris.page.locator("body[data-locate='located']").waitFor();
    await paris.page.locator("g[data-mine='true']").waitFor();
    expect(await pinsOn(paris.page)).toEqual([{ lat: 48.86, lon: 2.35, mine: true }]);
    expect(await paris.page.textContent("#message")).toContain("48.86° N, 2.35° E");
    await expect
      .poll(() => adminPins(admin.page).then((p) => p.map(({ lat, lon }) => ({ lat, lon }))))
      .toEqual([{ lat: 48.86, lon: 2.35 }]);
    // A click still moves the pin (the position was wrong, or the user prefers another place).
    await clickMap(paris.page, 0.5, 0.5);
    await expect.poll(() => adminPins(admin.page).then((p) => Math.round(p[0]?.lat ?? 99))).toBe(0);
    expect(paris.errors).toEqual([]);
  });

  it("falls back to click-to-pin when the permission is refused", async () => {
    const { page, errors } = await open("/where.html"); // no permission: Chromium denies
    await page.locator("body[data-locate='fallback']").waitFor();
    expect(await page.textContent("#message")).toBe(
      "Location permission refused: click on the map where you live.",
    );
    expect(await page.locator("svg.world g[data-pin-id]").count()).toBe(0);
    await clickMap(page, 0.5, 0.5);
    await page.locator("g[data-mine='true']").waitFor();
    const [pin] = await pinsOn(page);
    expect(Math.abs(pin?.lat ?? 99)).toBeLessThan(2);
    expect(Math.abs(pin?.lon ?? 99)).toBeLessThan(2);
    // "Use my location" asks again (and is refused again).
    await page.evaluate(() => {
      document.body.dataset.locate = "";
    });
    await page.click("#locate");
    await page.locator("body[data-locate='fallback']").waitFor();
    expect(errors).toEqual([]);
  });

  it("every participant sees every pin, and the counter counts the pins shown", async () => {
    const oslo = await open("/where.html", {
      permissions: ["geolocation"],
      geolocation: { latitude: 59.91, longitude: 10.75 },
    });
    await oslo.page.locator("g[data-mine='true']").waitFor();
    const lima = await open("/where.html", {
      permissions: ["geolocation"],
      geolocation: { latitude: -12.05, longitude: -77.04 },
    });
    await lima.page.locator("g[data-mine='true']").waitFor();
    const expected = [
      { lat: -12.05, lon: -77.04 },
      { lat: 59.91, lon: 10.75 },
    ];
    for (const { page } of [oslo, lima]) {
      await expect
        .poll(() =>
          pinsOn(page).then((pins) =>
            pins.map(({ lat, lon }) => ({ lat, lon })).sort((a, b) => a.lat - b.lat),
          ),
        )
        .toEqual(expected);
      expect(await page.textContent("#pins")).toBe("2");
      expect(await page.textContent("#participants")).toBe("2");
      // Exactly one of them is drawn as "mine".
      expect(await page.locator("g[data-mine='true']").count()).toBe(1);
    }
    expect((await pinsOn(oslo.page)).find((p) => p.mine)?.lat).toBe(59.91);
    expect((await pinsOn(lima.page)).find((p) => p.mine)?.lat).toBe(-12.05);
    await screenshot(oslo.page, "where-two-pins");

    await lima.page.context().close();
    await expect
      .poll(() => pinsOn(oslo.page), { timeout: 15_000 })
      .toEqual([{ lat: 59.91, lon: 10.75, mine: true }]);
    await expect.poll(() => oslo.page.textContent("#pins")).toBe("1");
    await expect.poll(() => oslo.page.textContent("#participants")).toBe("1");
    expect(oslo.errors).toEqual([]);
  });

  it("fits a phone: the map fills a 375 px screen, nothing scrolls sideways, a tap pins", async () => {
    const phone = await open("/where.html", {
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const box = await phone.page.locator("svg.world").boundingBox();
    expect(box?.x).toBe(0);
    expect(box?.width).toBe(375);
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBe(375);
    if (!box) throw new Error("no map");
    await phone.page.touchscreen.tap(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const dot = phone.page.locator("g[data-mine='true'] circle");
    await dot.waitFor();
    // The dot keeps its size on screen (7 px radius) although the map is drawn at 0.39 scale.
    const dotBox = await dot.boundingBox();
    expect(dotBox?.width).toBeGreaterThanOrEqual(13);
    expect(await phone.page.textContent("#pins")).toBe("1");
    expect(await phone.page.textContent("#participants")).toBe("1");
    await screenshot(phone.page, "where-phone");
    expect(phone.errors).toEqual([]);
  });
});

/** The pins a participant's map shows. */
const pinsOn = (page: Page) =>
  page.locator("svg.world g[data-pin-id]").evaluateAll((gs) =>
    gs.map((g) => {
      const pin: { lat: number; lon: number; mine?: boolean } = {
        lat: Number(g.getAttribute("data-lat")),
        lon: Number(g.getAttribute("data-lon")),
      };
      if (g.getAttribute("data-mine") === "true") pin.mine = true;
      return pin;
    }),
  );
