import type { PresenceBackend, PresenceChange, PresenceReplica } from "./types.js";

/**
 * The presence backend of one node (the in-memory adapter's): nothing to replicate, every
 * record is this node's. Used when the adapter provides no `presenceBackend()`.
 *
 * @example
 * ```ts
 * class MyAdapter extends InMemoryAdapter {
 *   presenceBackend() {
 *     return new LocalPresenceBackend(); // this adapter does not share presence
 *   }
 * }
 * ```
 */
export class LocalPresenceBackend implements PresenceBackend {
  start(_replica: PresenceReplica): Promise<void> {
    return Promise.resolve();
  }

  publish(_change: PresenceChange): void {}

  stop(): void {}
}
