import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** A polling handshake with the given Origin header (none when undefined). */
function handshake(origin: string | undefined): Promise<{ status: number; body: string }> {
  const url = new URL(`${h.app.url}/socket.io/?EIO=4&transport=polling`);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: origin === undefined ? {} : { Origin: origin } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the demo app's allowed origins (cross-site WebSocket hijacking)", () => {
  it("accepts its own pages and clients that send no Origin", async () => {
    expect((await handshake(h.app.url)).status).toBe(200);
    expect((await handshake(undefined)).status).toBe(200);
  });

  it("refuses pages of other sites with 403 and the documented body", async () => {
    for (const origin of ["http://evil.example", "null", `${h.app.url}.evil.example`]) {
      const answer = await handshake(origin);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ code: 4, message: "Origin not allowed" });
    }
  });
});
