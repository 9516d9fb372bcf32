import createDebug from "debug";

/**
 * The demo's own log: connections, disconnections and refusals, on stderr when `DEBUG`
 * names it (`DEBUG=switchboard:demo`, or `DEBUG=switchboard:*` with the server's engine and
 * socket logs). Costs nothing when off.
 */
export const demoLog = createDebug("switchboard:demo");
