/**
 * Module-internal counters for the leak tests. Not re-exported from the package entry:
 * tests import this file directly.
 */
export const engineStats = {
  /** Timers armed by sessions and not yet fired or cleared. */
  liveTimers: 0,
  /** Sessions created and not yet closed. */
  liveSessions: 0,
};
