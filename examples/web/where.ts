import { $, type ClientSocket, connect, request, trackStatus } from "./common.js";
import { createWorldMap, type MapPin } from "./world-map.js";

const socket: ClientSocket = connect("/where");
trackStatus(socket);

const labelInput = $<HTMLInputElement>("#label");
const message = $("#message");
const clearButton = $<HTMLButtonElement>("#clear");

const map = await createWorldMap($("#map"), ({ lon, lat }) => void drop(lon, lat));
document.body.dataset.mapReady = "true";

async function drop(lon: number, lat: number): Promise<void> {
  const answer = await request<{ ok: true; pin: MapPin } | { ok: false; error: string }>(
    socket,
    "pin:set",
    {
      lon,
      lat,
      label: labelInput.value,
    },
  );
  if (!answer.ok) {
    message.textContent = `Refused: ${answer.error}`;
    return;
  }
  map.clearPins();
  map.setPin(answer.pin, true);
  clearButton.disabled = false;
  const pin = answer.pin;
  const ns = `${Math.abs(pin.lat).toFixed(2)}° ${pin.lat >= 0 ? "N" : "S"}`;
  const ew = `${Math.abs(pin.lon).toFixed(2)}° ${pin.lon >= 0 ? "E" : "W"}`;
  const where = `${ns}, ${ew}`;
  message.textContent = `Your pin: ${where}. Click again to move it.`;
}

clearButton.addEventListener("click", async () => {
  await request(socket, "pin:clear", undefined);
  map.clearPins();
  clearButton.disabled = true;
  message.textContent = "Pin removed.";
});

socket.on("where:count", (c: { participants: number; pins: number }) => {
  $("#participants").textContent = String(c.participants);
  $("#pins").textContent = String(c.pins);
});
// A reconnection is a new participant for the server: the old pin went with the old one.
socket.on("disconnect", () => {
  map.clearPins();
  clearButton.disabled = true;
});
