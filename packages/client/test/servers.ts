import { Server as SwitchboardServer } from "@switchboard/server";
import { officialServer, type ServerFactory } from "./helpers.js";

/** The servers every client suite runs against: the official socket.io server and ours. */
export const serverKinds: { name: string; factory: ServerFactory }[] = [
  { name: "socket.io", factory: officialServer },
  { name: "switchboard", factory: (http, options) => new SwitchboardServer(http, options) },
];
