// Shared shapes for scenario files (JSDoc types) and small helpers.

/**
 * @typedef {{ op: ">=" | "<=", value: number }} Target  ratio Switchboard/socket.io
 * @typedef {{ key: string, label: string, better: "higher" | "lower", target?: Target | undefined }} Metric
 * @typedef {{ id: string, title: string, metrics: Metric[], env?: Record<string, string>, [k: string]: any }} Variant
 *   `env`: environment variables for the server and generator processes of every target
 * @typedef {{
 *   call(cmd: string, payload?: any, timeoutMs?: number): Promise<any>,
 *   kill?(signal: NodeJS.Signals): Promise<void>,
 * }} Peer  `kill`: send a signal to the process and wait for its exit (servers)
 * @typedef {{ server: Peer, servers: Peer[], gen: Peer, port: number, ports: number[],
 *   target: string, cfg: any, quick: boolean, clusterKey: string | null }} Ctx
 *   `servers`/`ports`: every node (cluster scenarios); `server`/`port`: the first;
 *   `clusterKey`: the Redis key prefix of this measurement (cluster scenarios)
 * @typedef {{
 *   metrics: Record<string, number | null>,
 *   checks: Record<string, number>,
 *   counts?: Record<string, number>,
 *   perNode?: Record<string, number[]>,
 *   cpu: { server: number | null, generator: number | null, other?: number | null },
 * }} Measurement
 * `optIn`: runs only when named in `--only` (heavy scenarios); `quickToo`: an opt-in scenario
 * whose small `--quick` variant still runs in every `--quick` run. `nodes`: server processes per
 * measurement (default 1); above 1 they share Redis under a key prefix of their own.
 * `generator`: the load generator's script, relative to bench/ (default lib/generator-main.js);
 * `generatorExecArgv`: Node options for it. `serverTarget`: the server every target runs
 * against; the targets are then client libraries run by the generator (client scenarios).
 * `manyFds`: start the servers and the generator with their soft limit of open files raised to
 * the hard limit. `maxRounds`: at most this many rounds, whatever `--rounds` says (long scenarios).
 * `quickVariants`: the variant ids `--quick` runs when `--only` names none (default all).
 * `measureTimeoutMs`: one measurement's time limit (default 300 s). `cleanup`: called with the
 * measurement's Redis key prefix once its processes have exited (cluster scenarios).
 * @typedef {{
 *   name: string,
 *   nodes?: number,
 *   generator?: string,
 *   generatorExecArgv?: string[],
 *   serverTarget?: string,
 *   manyFds?: boolean,
 *   maxRounds?: number,
 *   quickVariants?: string[],
 *   measureTimeoutMs?: number,
 *   cleanup?: (clusterKey: string) => Promise<void>,
 *   variants: Variant[],
 *   config: (quick: boolean) => any,
 *   optIn?: boolean,
 *   quickToo?: boolean,
 *   supports?: (target: string, v: Variant) => boolean,
 *   measure: (ctx: Ctx, v: Variant) => Promise<Measurement>,
 * }} Scenario
 */

/** CPU use over a window as % of one core. @param {{ cpuUs: number, wallMs: number }} m */
export function cpuPct(m) {
  return m.wallMs > 0 ? m.cpuUs / 10 / m.wallMs : null;
}

/**
 * CPU of everything else on the machine over the server's window, % of one core:
 * machine busy time minus server and generator. Large values mean a noisy measurement.
 * @param {{ cpuUs: number, wallMs: number, machineUs?: number | null }} server
 * @param {{ cpuUs: number }} gen
 */
export function otherPct(server, gen) {
  if (server.machineUs === null || server.machineUs === undefined || server.wallMs <= 0)
    return null;
  return Math.max(0, (server.machineUs - server.cpuUs - gen.cpuUs) / 10 / server.wallMs);
}

/** The `cpu` field of a measurement. @param {any} sc @param {any} gc */
export function cpuOf(sc, gc) {
  return { server: cpuPct(sc), generator: cpuPct(gc), other: otherPct(sc, gc) };
}
