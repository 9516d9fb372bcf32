import { PinStore } from "../lib/pin-store.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/**
 * "Where do you live?": participants on `/where` drop one pin each (`pin:set` ({lon, lat,
 * label?}, ack → {ok, pin}), `pin:clear` (ack)). Participants and admins (`/where-admin`)
 * alike get `pins` (all of them) on connect, then `pin:set` and `pin:remove` ({id}) live,
 * so everyone sees every pin. The events cross namespaces: a participant's handler emits
 * on the admin namespace. A participant who leaves takes their pin along. Participants
 * also get `where:count` ({participants}: how many are connected).
 */
export function mountWhere(participants: DemoNamespace, admins: DemoNamespace): PinStore {
  const pins = new PinStore();
  let connected = 0;

  const announce = (event: "pin:set" | "pin:remove", payload: unknown) => {
    participants.emit(event, payload);
    admins.emit(event, payload);
  };
  // Pins and the count are per node; pin:set / pin:remove are broadcasts, so they reach
  // every node's pages live (examples/README.md, "Two processes").
  const count = () => participants.local.emit("where:count", { participants: connected });

  participants.on("connection", (socket: DemoSocket) => {
    connected += 1;
    socket.emit("pins", pins.list());
    count();

    socket.on("pin:set", (...args) => {
      const ack = takeAck(args);
      const result = pins.set(socket.id, args[0]);
      ack(result);
      if (result.ok) announce("pin:set", result.pin);
    });

    socket.on("pin:clear", (...args) => {
      const ack = takeAck(args);
      const pin = pins.remove(socket.id);
      ack({ ok: pin !== undefined });
      if (pin) announce("pin:remove", { id: pin.id });
    });

    socket.on("disconnect", () => {
      connected -= 1;
      const pin = pins.remove(socket.id);
      if (pin) announce("pin:remove", { id: pin.id });
      count();
    });
  });

  admins.on("connection", (socket: DemoSocket) => {
    socket.emit("pins", pins.list());
  });

  return pins;
}
