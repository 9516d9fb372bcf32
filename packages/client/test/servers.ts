import { officialServer, type ServerFactory } from "./helpers.js";

/** The servers every client suite runs against. */
export const serverKinds: { name: string; factory: ServerFactory }[] = [
  { name: "socket.io", factory: officialServer },
];
