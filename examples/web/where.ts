import { $, type ClientSocket, connect, request, trackStatus } from "./common.js";
import { createWorldMap, type MapPin } from "./world-map.js";

const labelInput = $<HTMLInputElement>("#label");
const message = $("#message");
const clearButton = $<HTMLButtonElement>("#clear");
const locateButton = $<HTMLButtonElement>("#locate");

/** Where this participant's pin is (kept to put it back after a reconnection). */
let myPlace: { lon: number; lat: number } | undefined;
let myPinId: string | undefined;

const map = await createWorldMap($("#map"), ({ lon, lat }) => {
  myPlace = { lon, lat };
  void sendPin("Your pin");
});
document.body.dataset.mapReady = "true";

// Connected once the map exists: the handlers below must be in place for the first
// events (`pins`, `where:count`), which the server sends as soon as we connect.
const socket: ClientSocket = connect("/where");
trackStatus(socket);

/** The counter is the map's own count: what it says is what it shows. */
function showCount(): void {
  $("#pins").textContent = String(map.pinCount);
  $("#map").dataset.pinCount = String(map.pinCount);
}

function describe(pin: { lon: number; lat: number }): string {
  const ns = `${Math.abs(pin.lat).toFixed(2)}° ${pin.lat >= 0 ? "N" : "S"}`;
  const ew = `${Math.abs(pin.lon).toFixed(2)}° ${pin.lon >= 0 ? "E" : "W"}`;
  return `${ns}, ${ew}`;
}

async function sendPin(what: string): Promise<void> {
  if (!myPlace) return;
  if (!socket.connected) {
    message.textContent = "Not connected: your pin goes up when the connection is back.";
    return; // the `connect` handler sends it
  }
  const answer = await request<{ ok: true; pin: MapPin } | { ok: false; error: string }>(
    socket,
    "pin:set",
    { ...myPlace, label: labelInput.value },
  );
  if (!answer.ok) {
    message.textContent = `Refused: ${answer.error}`;
    return;
  }
  if (myPinId !== undefined && myPinId !== answer.pin.id) map.removePin(myPinId);
  myPinId = answer.pin.id;
  map.setPin(answer.pin, true);
  showCount();
  clearButton.disabled = false;
  message.textContent = `${what}: ${describe(answer.pin)}. Click the map to move it.`;
}

/**
 * Asks the browser where we are. The position is rounded to 0.01° (about 1 km): every
 * participant sees every pin. Refused, unavailable, or no geolocation at all (an insecure
 * origin such as http://<LAN address>): clicking the map places the pin instead.
 */
function locate(): void {
  const fallback = (why: string) => {
    document.body.dataset.locate = "fallback";
    message.textContent = `${why}: click on the map where you live.`;
  };
  if (!window.isSecureContext || !("geolocation" in navigator)) {
    locateButton.hidden = true;
    fallback(
      window.isSecureContext
        ? "This browser cannot tell its position"
        : "Your position needs https or localhost",
    );
    return;
  }
  document.body.dataset.locate = "asking";
  message.textContent = "Asking your browser where you are…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      document.body.dataset.locate = "located";
      const round = (n: number) => Math.round(n * 100) / 100;
      myPlace = { lon: round(position.coords.longitude), lat: round(position.coords.latitude) };
      void sendPin("Your position (about 1 km)");
    },
    (err) => {
      fallback(
        err.code === err.PERMISSION_DENIED
          ? "Location permission refused"
          : "Your position is not available",
      );
    },
    { enableHighAccuracy: false, timeout: 15_000, maximumAge: 10 * 60_000 },
  );
}

locateButton.addEventListener("click", locate);
labelInput.addEventListener("change", () => void sendPin("Your pin"));

clearButton.addEventListener("click", async () => {
  myPlace = undefined;
  await request(socket, "pin:clear", undefined);
  if (myPinId !== undefined) map.removePin(myPinId);
  myPinId = undefined;
  showCount();
  clearButton.disabled = true;
  message.textContent = "Pin removed.";
});

socket.on("where:count", (c: { participants: number }) => {
  $("#participants").textContent = String(c.participants);
});
// Everyone's pins: the full list on (re)connect, then changes live.
socket.on("pins", (pins: MapPin[]) => {
  map.clearPins();
  for (const pin of pins) map.setPin(pin, pin.id === myPinId);
  showCount();
});
socket.on("pin:set", (pin: MapPin) => {
  map.setPin(pin, pin.id === myPinId);
  showCount();
});
socket.on("pin:remove", ({ id }: { id: string }) => {
  map.removePin(id);
  showCount();
});
socket.on("connect", () => {
  // A reconnection is a new participant for the server: the old pin left with the old
  // connection, so put ours back.
  if (myPlace) void sendPin("Your pin (back after reconnecting)");
});
// While disconnected the map would show stale pins: the next `pins` redraws them.
socket.on("disconnect", () => {
  map.clearPins();
  myPinId = undefined;
  showCount();
});

locate();
