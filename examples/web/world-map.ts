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

  // Pins keep their size on screen (7 px dots, 11 px labels) whatever the map's width:
  // on a 375 px phone the 960-unit map is drawn at 0.39 scale, which would shrink them.
  const byId = new Map<string, { g: SVGGElement; pin: MapPin; mine: boolean }>();
  let unit = 1; // user units per CSS pixel
  const draw = ({ g, pin, mine }: { g: SVGGElement; pin: MapPin; mine: boolean }) => {
    const xy = projection([pin.lon, pin.lat]);
    if (!xy) return;
    const dot = svgEl("circle", {
      class: mine ? "pin mine" : "pin",
      cx: xy[0],
      cy: xy[1],
      r: 7 * unit,
      "stroke-width": 1.5 * unit,
    });
    const title = svgEl("title");
    title.textContent = `${pin.label || "someone"} (${pin.lat.toFixed(2)}, ${pin.lon.toFixed(2)})`;
    dot.append(title);
    g.replaceChildren(dot);
    if (pin.label) {
      const text = svgEl("text", {
        class: "pin-label",
        x: xy[0] + 10 * unit,
        y: xy[1] + 4 * unit,
        "font-size": 11 * unit,
        "stroke-width": 3 * unit,
      });
      text.textContent = pin.label;
      g.append(text);
    }
  };
  const rescale = () => {
    const width = svg.getBoundingClientRect().width;
    const next = width > 0 ? WIDTH / width : 1;
    if (Math.abs(next - unit) < 0.01) return;
    unit = next;
    for (const entry of byId.values()) draw(entry);
  };
  new ResizeObserver(rescale).observe(svg);
  rescale();

  return {
    svg,
    projection,
    setPin(pin, mine = false) {
      if (!projection([pin.lon, pin.lat])) return;
      byId.get(pin.id)?.g.remove();
      const g = svgEl("g", {
        class: "pin-group",
        "data-pin-id": pin.id,
        "data-lon": pin.lon,
        "data-lat": pin.lat,
      });
      if (mine) g.dataset.mine = "true";
      const entry = { g, pin, mine };
      draw(entry);
      pins.append(g);
      byId.set(pin.id, entry);
    },
    removePin(id) {
      byId.get(id)?.g.remove();
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
