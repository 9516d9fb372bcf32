import debugModule from "debug";

const debug = debugModule("switchboard:drain");

/**
 * Called once the drain a signal started is over: `error` when closing failed (an adapter's
 * `close()` rejected). The default exits the process, with code 0 (1 after an error).
 */
export type SignalCloseHandler = (signal: NodeJS.Signals, error?: Error) => void;

/** The default {@link SignalCloseHandler}: exit, 0 unless closing failed. */
export const exitAfterClose: SignalCloseHandler = (_signal, error) => {
  if (error !== undefined) console.error(error);
  process.exit(error === undefined ? 0 : 1);
};

/**
 * One server's process signal listeners: installed by `closeOnSignals`, removed when the
 * server has closed (by a signal or not), so that no listener outlives it.
 */
export class ShutdownSignals {
  readonly #listeners = new Map<NodeJS.Signals, NodeJS.SignalsListener>();
  readonly #onSignal: (signal: NodeJS.Signals) => void;

  constructor(onSignal: (signal: NodeJS.Signals) => void) {
    this.#onSignal = onSignal;
  }

  /** Listen for `signals` (those already listened for are skipped). */
  add(signals: readonly NodeJS.Signals[]): void {
    for (const signal of signals) {
      if (this.#listeners.has(signal)) continue;
      const listener: NodeJS.SignalsListener = (received) => {
        debug("received %s", received);
        this.#onSignal(received);
      };
      this.#listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /** Remove every listener. */
  remove(): void {
    for (const [signal, listener] of this.#listeners) process.off(signal, listener);
    this.#listeners.clear();
  }

  /** The signals listened for. */
  get signals(): NodeJS.Signals[] {
    return [...this.#listeners.keys()];
  }
}
