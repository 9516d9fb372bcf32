import { type GeoProjection, geoGraticule10, geoNaturalEarth1, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 960;
const HEIGHT = 500;

export interface MapPin {
  id: string;
  lon: number;
  lat: number;
  label: string;
}

export interface WorldMap {
  readonly svg: SVGSVGElement;
  readonly projection: GeoProjection;
  /** Adds or moves a pin. */
  setPin(pin: MapPin, mine?: boolean): void;
  removePin(id: string): void;
  clearPins(): void;
  readonly pinCount: number;
}

function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Draws the world (world-atlas 110m countries, served from this app) as SVG with a
 * Natural Earth projection. With `onPick`, a click on the globe reports lon/lat through
 * the projection's `invert`; clicks outside the globe are ignored.
 */
export async function createWorldMap(
  container: HTMLElement,
  onPick?: (lonLat: { lon: number; lat: number }) => void,
): Promise<WorldMap> {
  const projection = geoNaturalEarth1().fitExtent(
    [
      [8, 8],
      [WIDTH - 8, HEIGHT - 8],
    ],
    { type: "Sphere" },
  );
  const path = geoPath(projection);
  const svg = svgEl("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "world", role: "img" });
  svg.setAttribute("aria-label", "World map");
  svg.append(
    svgEl("path", { class: "sphere", d: path({ type: "Sphere" }) ?? "" }),
    svgEl("path", { class: "graticule", d: path(geoGraticule10()) ?? "" }),
  );
  const land = svgEl("g", { class: "countries" });
  const pins = svgEl("g", { class: "pins" });
  svg.append(land, pins);
  container.replaceChildren(svg);

  const response = await fetch("/build/countries-110m.json");
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>;
  const countries = feature(topology, topology.objects.countries);
  for (const country of countries.features) {
    land.append(svgEl("path", { class: "land", d: path(country) ?? "" }));
  }

  if (onPick) {
    svg.classList.add("clickable");
    svg.addEventListener("click", (event) => {
      const ctm = svg.getScreenCTM();
      if (!ctm) return;
      const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse());
      const lonLat = projection.invert?.([point.x, point.y]);
      if (!lonLat) return;
      const [lon, lat] = lonLat;
      // invert() also answers outside the globe: keep the point only if it maps back.
      const back = projection([lon, lat]);
      if (!back || Math.hypot(back[0] - point.x, back[1] - point.y) > 1) return;
      if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return;
      onPick({ lon, lat });
    });
  }

  const byId = new Map<string, SVGGElement>();
  return {
    svg,
    projection,
    setPin(pin, mine = false) {
      const xy = projection([pin.lon, pin.lat]);
      if (!xy) return;
      byId.get(pin.id)?.remove();
      const g = svgEl("g", {
        class: "pin-group",
        "data-pin-id": pin.id,
        "data-lon": pin.lon,
        "data-lat": pin.lat,
      });
      const dot = svgEl("circle", { class: mine ? "pin mine" : "pin", cx: xy[0], cy: xy[1], r: 6 });
      const title = svgEl("title");
      title.textContent = `${pin.label || "someone"} (${pin.lat.toFixed(2)}, ${pin.lon.toFixed(2)})`;
      dot.append(title);
      g.append(dot);
      if (pin.label) {
        const text = svgEl("text", { class: "pin-label", x: xy[0] + 9, y: xy[1] + 4 });
        text.textContent = pin.label;
        g.append(text);
      }
      pins.append(g);
      byId.set(pin.id, g);
    },
    removePin(id) {
      byId.get(id)?.remove();
      byId.delete(id);
    },
    clearPins() {
      pins.replaceChildren();
      byId.clear();
    },
    get pinCount() {
      return byId.size;
    },
  };
}
