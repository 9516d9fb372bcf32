import { $, type ClientSocket, connect, trackStatus } from "./common.js";
import { createWorldMap, type MapPin } from "./world-map.js";

const map = await createWorldMap($("#map"));
const socket: ClientSocket = connect("/where-admin");
trackStatus(socket);

function showCount(): void {
  $("#pins").textContent = String(map.pinCount);
  $("#map").dataset.pinCount = String(map.pinCount);
}

socket.on("pins", (pins: MapPin[]) => {
  map.clearPins();
  for (const pin of pins) map.setPin(pin);
  showCount();
  document.body.dataset.mapReady = "true";
});
socket.on("pin:set", (pin: MapPin) => {
  map.setPin(pin);
  showCount();
});
socket.on("pin:remove", ({ id }: { id: string }) => {
  map.removePin(id);
  showCount();
});
