// Globals of the page that are not ES module imports.
import type * as MapLibre from 'maplibre-gl';

declare global {
  /** MapLibre GL JS, loaded as a classic script (`/vendor/maplibre-gl-…/maplibre-gl.js`). */
  const maplibregl: typeof MapLibre;
  interface Window {
    /** MapLibre GL JS once its script has run. */
    maplibregl?: typeof MapLibre;
    /** The page's context (map, configuration, views), for the end-to-end tests (app.js). */
    nuanxin?: unknown;
  }
}
export {};
