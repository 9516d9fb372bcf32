import { request as httpRequest } from "node:http";

/** One scrape: series (`name{label="value",…}` as printed) → value. */
export type Scrape = Map<string, number>;

/** Parses the Prometheus text format (series lines only). */
export function parseScrape(text: string): Scrape {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    series.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return series;
}

/** GETs `url` (a fresh connection) and parses the answer; fails on a status other than 200. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  expectOk(res.status, url);
  expectPrometheus(res.headers.get("content-type"));
  return parseScrape(await res.text());
}

function expectOk(status: number, url: string): void {
  if (status !== 200) throw new Error(`GET ${url}: ${status}`);
}

function expectPrometheus(type: string | null): void {
  if (!type?.startsWith("text/plain")) throw new Error(`content-type ${type}`);
}

/** The value of `name` with exactly `labels` (0 when the series is absent). */
export function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const entries = Object.entries(labels);
  const key =
    entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
  return s.get(key) ?? 0;
}

/** The series of metric `name` (its labelled lines). */
export function series(s: Scrape, name: string): string[] {
  return [...s.keys()].filter((k) => k === name || k.startsWith(`${name}{`));
}

/** GET over `agent`'s connections: status and body. */
export function get(
  url: string,
  agent?: import("node:http").Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
