import { PinStore } from "../lib/pin-store.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/**
 * "Where do you live?": participants on `/where` drop one pin each (`pin:set` ({lon, lat,
 * label?}, ack → {ok, pin}), `pin:clear` (ack)); admins on `/where-admin` get `pins` (all
 * of them) on connect, then `pin:set` and `pin:remove` ({id}) live. The events cross
 * namespaces: a participant's handler emits on the admin namespace. A participant who
 * leaves takes their pin along. Participants also get `where:count`.
 */
export function mountWhere(participants: DemoNamespace, admins: DemoNamespace): PinStore {
  const pins = new PinStore();
  let connected = 0;

  participants.on("connection", (socket: DemoSocket) => {
    connected += 1;
    participants.emit("where:count", { participants: connected, pins: pins.size });

    socket.on("pin:set", (...args) => {
      const ack = takeAck(args);
      const result = pins.set(socket.id, args[0]);
      ack(result);
      if (!result.ok) return;
      admins.emit("pin:set", result.pin);
      participants.emit("where:count", { participants: connected, pins: pins.size });
    });

    socket.on("pin:clear", (...args) => {
      const ack = takeAck(args);
      const pin = pins.remove(socket.id);
      ack({ ok: pin !== undefined });
      if (!pin) return;
      admins.emit("pin:remove", { id: pin.id });
      participants.emit("where:count", { participants: connected, pins: pins.size });
    });

    socket.on("disconnect", () => {
      connected -= 1;
      const pin = pins.remove(socket.id);
      if (pin) admins.emit("pin:remove", { id: pin.id });
      participants.emit("where:count", { participants: connected, pins: pins.size });
    });
  });

  admins.on("connection", (socket: DemoSocket) => {
    socket.emit("pins", pins.list());
  });

  return pins;
}
