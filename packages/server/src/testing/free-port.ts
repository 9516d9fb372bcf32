import { createServer } from "node:net";

/**
 * A TCP port free on `host` now, as the OS picks one for port 0. Another process may take
 * it before you use it: prefer listening on port 0 where the code under test allows it.
 *
 * @param host - the address to probe; default `"127.0.0.1"`.
 * @example
 * ```ts
 * const port = await freePort();
 * const node = await spawnNode("./node.mjs", { env: { PORT: String(port) } });
 * ```
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error(`no TCP port given on ${host}`));
      });
    });
  });
}
