import {
  type AdapterConstructor,
  type AdapterNamespace,
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
} from "@switchboard/server";

/**
 * An in-memory pub/sub bus standing in for Redis: the backend that the nodes of a test
 * cluster share. Delivery is asynchronous (a microtask per adapter), like a network, and
 * reaches every adapter on the bus, the sender's included (ClusterAdapter drops its own).
 */
export class Bus {
  readonly adapters = new Set<BusAdapter>();
  /** Messages published so far (for tests that look at what crossed the bus). */
  published = 0;

  publish(message: ClusterMessage): void {
    this.published++;
    for (const adapter of this.adapters) queueMicrotask(() => adapter.onMessage(message));
  }
}

/** A ClusterAdapter whose `publish` is a {@link Bus}: subscribed on init, unsubscribed on close. */
export abstract class BusAdapter extends ClusterAdapter {
  protected abstract readonly bus: Bus;

  override init(): void {
    this.bus.adapters.add(this);
    super.init();
  }

  override close(): void {
    super.close();
    this.bus.adapters.delete(this);
  }

  protected publish(message: ClusterMessage): void {
    this.bus.publish(message);
  }
}

/**
 * The `adapter` server option for a node on `bus`: every namespace of every node built with
 * it shares the bus. `requestsTimeout` defaults to 1000 ms here (5000 in ClusterAdapter), so
 * a request that waits for a silent node fails quickly.
 *
 * @example
 * ```ts
 * const bus = new Bus();
 * const nodes = [0, 1, 2].map(() => new Server({ adapter: busAdapter(bus) }));
 * ```
 */
export function busAdapter(
  bus: Bus,
  options: Partial<ClusterAdapterOptions> = {},
): AdapterConstructor {
  return class extends BusAdapter {
    protected readonly bus = bus;
    constructor(nsp: AdapterNamespace) {
      super(nsp, { requestsTimeout: 1000, ...options });
    }
  };
}
