import type { Page } from "playwright-core";
import { expect } from "vitest";
import { waitConnected } from "./harness.js";

/** Logs in on an open chat page as `username` and waits for the chat to show. */
export async function enterChat(page: Page, username: string): Promise<void> {
  await page.fill("#username", username);
  await page.click("#join");
  await waitConnected(page);
  await page.locator("#app").waitFor({ state: "visible" });
}

/** Sends a message from the chat's input and waits for the page to clear it (acked). */
export async function send(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
  await expect.poll(() => page.inputValue("#text")).toBe("");
}

/** The messages of the open tab, as "from: text". */
export const visibleMessages = (page: Page) =>
  page
    .locator(".chat-log:not([hidden]) li.msg")
    .evaluateAll((items) =>
      items.map(
        (li) =>
          `${li.querySelector(".from")?.textContent}: ${li.querySelector(".text")?.textContent}`,
      ),
    );
