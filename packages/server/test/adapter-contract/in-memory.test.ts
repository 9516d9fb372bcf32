import { Server } from "@switchboard/server";
import { adapterContract } from "./contract.js";

// The default adapter: one node. With `connectionStateRecovery` the server picks the
// SessionAwareAdapter (the in-memory adapter plus a packet and session store), so the
// recovery part of the contract runs against it.
adapterContract(
  "in-memory adapter",
  (_nodes, serverOptions) => ({
    servers: [new Server(serverOptions)],
  }),
  { maxNodes: 1, recovery: "node" },
);
