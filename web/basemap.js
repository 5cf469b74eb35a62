// @ts-check
// The offline basemap: district boundaries and names, Changsha metro lines and stations,
// all served by our own binary. An online raster basemap is added only when the server's
// configuration names one (`basemap_url`, off by default).
//
// Labels: the style has no `glyphs` URL, so MapLibre draws every glyph locally (TinySDF)
// from the device fonts named in FONT; Chinese, Latin and digits need no downloads.

/* global maplibregl */

/** @typedef {import('maplibre-gl').LayerSpecification} LayerSpecification */
/** @typedef {import('maplibre-gl').SourceSpecification} SourceSpecification */

import { codes, getLang, label, t } from './i18n.js';
import { kindColour } from './ui.js';

export const FONT = ['Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', 'Source Han Sans SC'];
export const FONT_BOLD = ['Noto Sans CJK SC Bold', 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei'];

/** One-character badge per service kind (colours: `--kind-<code>` in style.css, `kindColour`). */
const KIND_GLYPH = {
  station: '驿',
  legal_aid: '法',
  rider_friendly_community: '友',
  collection_point: '征',
};

/** The badge character of kind `kind`: its own, else the first character of its Chinese label. */
export function kindGlyph(kind) {
  return KIND_GLYPH[kind] || [...label('kind', kind)][0] || '';
}

/** Rank badges (nearest list and map): dark number on yellow, a rounded square. */
export const RANK_STYLE = { background: '#ffd43b', colour: '#212529' };

/** Changsha (长沙市) — where the demo data and metro are. */
/** @type {{ center: [number, number], zoom: number }} */
export const HOME = { center: [112.985, 28.2], zoom: 10.6 };

/**
 * The first view's GeoJSON, by source id. Changsha's districts first; the rest of Hunan is
 * added once the map is drawn (addRestOfHunan).
 */
export const BASE_DATA = {
  districts: '/data/districts-changsha.geojson',
  district_labels: '/data/district-labels.geojson',
  metro_lines: '/data/metro-lines.geojson',
  metro_stations: '/data/metro-stations.geojson',
  rivers: '/data/rivers.geojson',
};

let baseData = null;
/**
 * The first view's GeoJSON (BASE_DATA): the server writes it into the page as a JSON data
 * block (`#nuanxin-first-view`, server/web/page.rs), so on a weak signal it arrives with the
 * page instead of five requests; else the page fetches each file. Resolves with { source id:
 * parsed GeoJSON }, or the URL again for a file that failed (MapLibre then fetches it itself).
 */
export function fetchBaseData() {
  baseData ??= (async () => {
    const inline = document.getElementById('nuanxin-first-view');
    if (inline) {
      try {
        const all = JSON.parse(inline.textContent || '');
        if (Object.keys(BASE_DATA).every((id) => all[id]?.type === 'FeatureCollection')) return all;
      } catch (e) {
        console.warn('first view data:', e.message || e);
      }
    }
    return Object.fromEntries(await Promise.all(Object.entries(BASE_DATA).map(async ([id, url]) => {
      try {
        const r = await fetch(url);
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return [id, await r.json()];
      } catch (e) {
        console.warn(`${url}:`, e.message || e);
        return [id, url];
      }
    })));
  })();
  return baseData;
}

/**
 * The source that draws the first view (boundaries, district names, metro, rivers) when its
 * data came with the page: one GeoJSON source instead of five, each feature tagged with the
 * BASE_DATA id it came from (`src`), so that MapLibre's worker cuts one set of tiles and the
 * map reaches `load` after fewer frames (each a WebGL frame on the phone's main thread; on
 * the 2-core test machine 7–8 frames instead of 12–18). Data that had to be fetched keeps
 * its own source, named after its BASE_DATA id.
 */
export const OVERLAYS = 'overlays';

/** The id of the source holding the district boundaries (`districts` or OVERLAYS). */
export function districtSourceId(map) {
  return map.getSource('districts') ? 'districts' : OVERLAYS;
}

/**
 * The map style: offline layers, the online basemaps the configuration names, the street
 * tiles. `data` holds the first view's GeoJSON by source id (fetchBaseData), URLs otherwise.
 * @returns {import('maplibre-gl').StyleSpecification}
 */
export function buildStyle(config, lang, attribution = '', data = {}) {
  const src = (id) => data[id] ?? BASE_DATA[id];
  /** @type {Record<string, SourceSpecification>} */
  const sources = {};
  const inline = Object.keys(BASE_DATA).filter((id) => Array.isArray(data[id]?.features));
  // The page's data credits go with the boundaries (setMapLanguage updates them).
  const credited = inline.includes('districts') ? OVERLAYS : 'districts';
  const credit = (id) => (id === credited ? { attribution } : {});
  if (inline.length) {
    const features = inline.flatMap((id) => data[id].features.map((f) => ({ ...f, properties: { ...f.properties, src: id } })));
    sources[OVERLAYS] = { type: 'geojson', data: { type: 'FeatureCollection', features }, ...credit(OVERLAYS) };
  }
  for (const id of Object.keys(BASE_DATA)) if (!inline.includes(id)) sources[id] = { type: 'geojson', data: src(id), ...credit(id) };
  /** The source and filter of a layer over BASE_DATA id `id` (with its own filter `f`). */
  const from = (id, f = null) => {
    if (!inline.includes(id)) return { source: id, ...(f ? { filter: f } : {}) };
    const mine = ['==', ['get', 'src'], id];
    return { source: OVERLAYS, filter: f ? ['all', mine, f] : mine };
  };
  /** @type {LayerSpecification[]} */
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#e9ece5' } }];
  if (config.basemap_url) {
    sources.online = {
      type: 'raster', tiles: [config.basemap_url], tileSize: 256,
      attribution: config.basemap_attribution || '',
    };
    layers.push({ id: 'online', type: 'raster', source: 'online' });
  }
  for (const r of config.raster_basemaps || []) {
    sources[r.id] = { type: 'raster', tiles: r.tiles, tileSize: 256, attribution: r.attribution || '' };
    layers.push({ id: r.id, type: 'raster', source: r.id });
  }
  const online = Boolean(config.basemap_url) || (config.raster_basemaps || []).length > 0;
  const streets = config.vector_tiles;
  layers.push(
    {
      id: 'district-fill', type: 'fill', ...from('districts', ['==', ['get', 'level'], 'county']),
      paint: {
        'fill-color': ['case', ['==', ['get', 'parent_adcode'], '430100'], '#fbfaf6', '#f3f2ec'],
        'fill-opacity': online ? 0.15 : 1,
      },
    },
    ...(streets ? streetLayers(lang) : []),
    {
      id: 'district-line', type: 'line', ...from('districts', ['==', ['get', 'level'], 'county']),
      minzoom: 6.5,
      paint: { 'line-color': '#8f959c', 'line-width': ['interpolate', ['linear'], ['zoom'], 7, 0.5, 12, 1.5], 'line-dasharray': [3, 2] },
    },
    {
      id: 'city-line', type: 'line', ...from('districts', ['==', ['get', 'level'], 'city']),
      paint: { 'line-color': '#5c636a', 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 1, 12, 3] },
    },
    {
      // GSHHG/WDBII rivers (湘江 …): about 1:1M, for orientation only.
      id: 'river', type: 'line', ...from('rivers'),
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': '#8fc1e3',
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 8, ['case', ['<=', ['get', 'wdb_level'], 2], 1.5, 0.8], 14, ['case', ['<=', ['get', 'wdb_level'], 2], 26, 6], 17, ['case', ['<=', ['get', 'wdb_level'], 2], 160, 30]],
        'line-opacity': 0.9,
      },
    },
    {
      id: 'metro-line', type: 'line', ...from('metro_lines'), minzoom: 8,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': ['coalesce', ['get', 'color'], '#888'], 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.5, 14, 4], 'line-opacity': 0.85 },
    },
    {
      id: 'metro-station', type: 'circle', ...from('metro_stations'), minzoom: 11,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 2, 15, 5],
        'circle-color': '#fff', 'circle-stroke-color': '#495057',
        'circle-stroke-width': ['case', ['get', 'interchange'], 2, 1],
      },
    },
    {
      id: 'metro-station-label', type: 'symbol', ...from('metro_stations'), minzoom: 13,
      layout: {
        'text-field': metroLabel(lang),
        'text-font': FONT, 'text-size': 12, 'text-offset': [0, 1.0], 'text-anchor': 'top', 'text-optional': true,
      },
      paint: { 'text-color': '#343a40', 'text-halo-color': '#fff', 'text-halo-width': 1.5 },
    },
    {
      id: 'district-label', type: 'symbol',
      ...from('district_labels', ['any',
        ['all', ['==', ['get', 'level'], 'county'], ['>=', ['zoom'], 8]],
        ['all', ['==', ['get', 'level'], 'city'], ['<', ['zoom'], 8]]]),
      layout: {
        'text-field': ['get', 'name'], 'text-font': FONT_BOLD,
        'text-size': ['interpolate', ['linear'], ['zoom'], 6, 12, 12, 16],
        'text-letter-spacing': 0.1,
      },
      paint: { 'text-color': '#3d4349', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
    },
  );
  if (streets) {
    sources.streets = {
      type: 'vector',
      tiles: streets.tiles.map((t) => (t.startsWith('/') ? location.origin + t : t)),
      minzoom: streets.minzoom ?? 0,
      maxzoom: streets.maxzoom ?? 14,
      attribution: streets.attribution || '© OpenStreetMap contributors (ODbL)',
      ...(streets.bounds ? { bounds: streets.bounds } : {}),
    };
  }
  return { version: 8, sources, layers };
}

/**
 * The metro stations' label in `lang`: the Chinese name, or in English the name in pinyin
 * words (`name_en`, e.g. Wuyi Guangchang: data/metro/make_name_en.py).
 * @returns {import('maplibre-gl').ExpressionSpecification}
 */
export function metroLabel(lang) {
  return lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['get', 'name'];
}

/**
 * The label of a street-basemap feature (OpenMapTiles schema) in `lang`: Chinese names first
 * (`name:zh`, then the local `name`); in English the English name where the data has one
 * (`name:en`, `name_en`), else its Latin transliteration (`name:latin`, pinyin for Chinese
 * names), else the local name.
 * @returns {import('maplibre-gl').ExpressionSpecification}
 */
export function streetLabel(lang) {
  return lang === 'en'
    ? ['coalesce', ['get', 'name:en'], ['get', 'name_en'], ['get', 'name:latin'], ['get', 'name']]
    : ['coalesce', ['get', 'name:zh'], ['get', 'name']];
}

/**
 * The label of a point of interest in `lang`: its `name`; in English its English name where
 * the data has one (OpenStreetMap's `name:en`, or `name_en`). The shipped Geofabrik POI layer
 * (data/osm/osm_pois_changsha.geojson) keeps only `name`, so today every POI stays Chinese.
 * @returns {import('maplibre-gl').ExpressionSpecification}
 */
export function poiLabel(lang) {
  return lang === 'en' ? ['coalesce', ['get', 'name:en'], ['get', 'name_en'], ['get', 'name']] : ['get', 'name'];
}

/**
 * The layers whose labels follow the language, and the label of each in a language.
 * @type {[string, (lang: string) => import('maplibre-gl').ExpressionSpecification][]}
 */
const LABELS = [
  ['metro-station-label', metroLabel],
  ['poi-label', poiLabel],
  ['st-road-name', streetLabel],
  ['st-water-name', streetLabel],
  ['st-place', streetLabel],
];

/**
 * Labels every layer of LABELS that the map has in `lang` (district labels stay Chinese: they
 * are official names).
 */
export function relabelMap(map, lang) {
  for (const [id, labelOf] of LABELS) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', labelOf(lang));
  }
}

/** Road classes of the OpenMapTiles schema, widest first: [class, colour, casing, width at z16]. */
/** @type {[string, string, string, number][]} */
const ROADS = [
  ['motorway', '#f4b183', '#c87f4b', 10],
  ['trunk', '#f9c99a', '#c8895b', 9],
  ['primary', '#fde3a7', '#c9a15c', 8],
  ['secondary', '#fff2c6', '#c9b27a', 7],
  ['tertiary', '#ffffff', '#b9b3a6', 6],
  ['minor', '#ffffff', '#c6c1b6', 4.5],
  ['service', '#ffffff', '#cfcac0', 3],
];

/**
 * The street basemap's layers over an MBTiles archive in the OpenMapTiles schema (what
 * `tilemaker` writes with its config-openmaptiles.json): land use and parks, water, buildings
 * from zoom 14, roads by class with casings, paths, railways, road names along the lines,
 * and place names. Labels are Chinese when the data has them (`name:zh`).
 */
export function streetLayers(lang) {
  const NAME = streetLabel(lang);
  /** @type {(z16: number) => import('maplibre-gl').ExpressionSpecification} */
  const w = (z16) => ['interpolate', ['exponential', 1.5], ['zoom'], 10, z16 / 8, 16, z16, 18, z16 * 3];
  /** @type {LayerSpecification[]} */
  const layers = [
    { id: 'st-landuse', type: 'fill', source: 'streets', 'source-layer': 'landuse', paint: { 'fill-color': '#efe9e1', 'fill-opacity': 0.7 } },
    { id: 'st-park', type: 'fill', source: 'streets', 'source-layer': 'park', paint: { 'fill-color': '#cfe8c4' } },
    { id: 'st-landcover', type: 'fill', source: 'streets', 'source-layer': 'landcover', filter: ['in', ['get', 'class'], ['literal', ['grass', 'wood', 'forest', 'park']]], paint: { 'fill-color': '#d8ecd0' } },
    { id: 'st-water', type: 'fill', source: 'streets', 'source-layer': 'water', paint: { 'fill-color': '#a9d3f0' } },
    { id: 'st-waterway', type: 'line', source: 'streets', 'source-layer': 'waterway', paint: { 'line-color': '#a9d3f0', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 4] } },
    { id: 'st-building', type: 'fill', source: 'streets', 'source-layer': 'building', minzoom: 14, paint: { 'fill-color': '#dcd6cd', 'fill-outline-color': '#c8c1b6' } },
    { id: 'st-path', type: 'line', source: 'streets', 'source-layer': 'transportation', minzoom: 14, filter: ['in', ['get', 'class'], ['literal', ['path', 'track']]], paint: { 'line-color': '#a89f91', 'line-width': 1.2, 'line-dasharray': [2, 1.5] } },
    { id: 'st-rail', type: 'line', source: 'streets', 'source-layer': 'transportation', filter: ['in', ['get', 'class'], ['literal', ['rail', 'transit']]], paint: { 'line-color': '#9a9a9a', 'line-width': 1.5, 'line-dasharray': [3, 2] } },
  ];
  for (const [cls, , casing, width] of ROADS) {
    layers.push({ id: `st-road-${cls}-casing`, type: 'line', source: 'streets', 'source-layer': 'transportation', filter: ['==', ['get', 'class'], cls], layout: { 'line-join': 'round', 'line-cap': 'round' }, paint: { 'line-color': casing, 'line-width': w(width + 2) } });
  }
  for (const [cls, colour, , width] of ROADS) {
    layers.push({ id: `st-road-${cls}`, type: 'line', source: 'streets', 'source-layer': 'transportation', filter: ['==', ['get', 'class'], cls], layout: { 'line-join': 'round', 'line-cap': 'round' }, paint: { 'line-color': colour, 'line-width': w(width) } });
  }
  layers.push(
    {
      id: 'st-road-name', type: 'symbol', source: 'streets', 'source-layer': 'transportation_name', minzoom: 13,
      layout: { 'symbol-placement': 'line', 'text-field': NAME, 'text-font': FONT, 'text-size': 12, 'text-max-angle': 30, 'text-padding': 2 },
      paint: { 'text-color': '#4a4f55', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
    },
    {
      id: 'st-water-name', type: 'symbol', source: 'streets', 'source-layer': 'water_name',
      layout: { 'text-field': NAME, 'text-font': FONT, 'text-size': 12 },
      paint: { 'text-color': '#2f6f9f', 'text-halo-color': '#fff', 'text-halo-width': 1.2 },
    },
    {
      id: 'st-place', type: 'symbol', source: 'streets', 'source-layer': 'place', minzoom: 11,
      layout: { 'text-field': NAME, 'text-font': FONT_BOLD, 'text-size': ['match', ['get', 'class'], ['city', 'town'], 15, 13] },
      paint: { 'text-color': '#343a40', 'text-halo-color': '#fff', 'text-halo-width': 1.8 },
    },
  );
  return layers;
}

/**
 * Adds the boundaries of the rest of Hunan (`/data/districts-rest.geojson`) to the source of
 * the districts (districtSourceId), after the first view is drawn: a phone on a weak signal
 * draws Changsha first and downloads the other 13 cities later.
 */
export async function addRestOfHunan(map) {
  const id = districtSourceId(map);
  const src = map.getSource(id);
  if (!src || src.nuanxinRest) return;
  src.nuanxinRest = true;
  try {
    const [have, rest] = await Promise.all([
      src.getData(),
      fetch('/data/districts-rest.geojson').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)))),
    ]);
    const more = (rest.features || []).map((f) => (id === OVERLAYS ? { ...f, properties: { ...f.properties, src: 'districts' } } : f));
    src.setData({ ...have, features: [...(have.features || []), ...more] });
    document.body.dataset.hunan = '1';
  } catch (e) {
    src.nuanxinRest = false;
    console.warn('districts:', e.message || e);
  }
}

/** Attribution of the river lines (LGPL GSHHG). The page's own credits, POIs (ODbL
 * OpenStreetMap) included, are `t('attribution')` on the districts' source, in the page's
 * language (setMapLanguage). */
export const RIVERS_ATTRIBUTION = 'Rivers: GSHHG 2.3.7 / WDBII (Wessel & Smith, LGPL-3.0)';

/** Zoom from which named points of interest are shown (and first downloaded). */
export const POI_MIN_ZOOM = 14;

/**
 * Adds named OpenStreetMap points of interest (`/data/pois.geojson`) the first time the map
 * reaches POI_MIN_ZOOM, so a phone on a weak signal does not download them for the city view.
 */
export function addPoisWhenZoomed(map, lang) {
  const add = () => {
    if (map.getZoom() < POI_MIN_ZOOM - 0.5 || map.getSource('pois')) return;
    // Credited in t('attribution') with the other offline layers (no second, English-only credit).
    map.addSource('pois', { type: 'geojson', data: '/data/pois.geojson' });
    const before = map.getLayer('metro-station') ? 'metro-station' : undefined;
    map.addLayer({
      id: 'poi-dot', type: 'circle', source: 'pois', minzoom: POI_MIN_ZOOM,
      paint: { 'circle-radius': 2.5, 'circle-color': '#868e96', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    }, before);
    map.addLayer({
      id: 'poi-label', type: 'symbol', source: 'pois', minzoom: POI_MIN_ZOOM,
      layout: {
        'text-field': poiLabel(getLang()), 'text-font': FONT, 'text-size': 11,
        'text-offset': [0, 0.6], 'text-anchor': 'top', 'text-optional': true, 'text-max-width': 8,
      },
      paint: { 'text-color': '#5c636a', 'text-halo-color': '#fff', 'text-halo-width': 1.2 },
    }, before);
    void lang;
  };
  map.on('zoomend', add);
  add();
}

/** Adds kind badges (`kind-<code>`), a cluster ring and the "me" marker as map images. */
export function addIcons(map) {
  const px = 2; // device pixel ratio of the drawn images
  const draw = (name, size, paint) => {
    if (map.hasImage(name)) return;
    const c = document.createElement('canvas');
    c.width = c.height = size * px;
    const g = c.getContext('2d');
    g.scale(px, px);
    paint(g, size);
    map.addImage(name, g.getImageData(0, 0, size * px, size * px), { pixelRatio: px });
  };
  for (const kind of codes('kind')) {
    const colour = kindColour(kind);
    const glyph = kindGlyph(kind);
    for (const [suffix, ring] of [['', '#ffffff'], ['-selected', '#ffd43b']]) {
      draw(`kind-${kind}${suffix}`, 34, (g, n) => {
        g.beginPath(); g.arc(n / 2, n / 2, n / 2 - 2, 0, Math.PI * 2);
        g.fillStyle = colour; g.fill();
        g.lineWidth = suffix ? 4 : 2.5; g.strokeStyle = ring; g.stroke();
        g.fillStyle = '#fff';
        g.font = `bold 17px ${FONT.map((f) => `"${f}"`).join(',')}, sans-serif`;
        g.textAlign = 'center'; g.textBaseline = 'middle';
        g.fillText(glyph, n / 2, n / 2 + 1);
      });
    }
  }
  // Rank badges of the nearest list: yellow rounded squares with a dark number, never round
  // (round bubbles in the kind's colour with a white count are clusters).
  for (let rank = 1; rank <= 9; rank += 1) {
    draw(`rank-${rank}`, 22, (g, n) => {
      const r = 5;
      g.beginPath();
      g.moveTo(1 + r, 1); g.arcTo(n - 1, 1, n - 1, n - 1, r); g.arcTo(n - 1, n - 1, 1, n - 1, r);
      g.arcTo(1, n - 1, 1, 1, r); g.arcTo(1, 1, n - 1, 1, r); g.closePath();
      g.fillStyle = RANK_STYLE.background; g.fill();
      g.lineWidth = 1.5; g.strokeStyle = RANK_STYLE.colour; g.stroke();
      g.fillStyle = RANK_STYLE.colour;
      g.font = `800 14px ${FONT.map((f) => `"${f}"`).join(',')}, sans-serif`;
      g.textAlign = 'center'; g.textBaseline = 'middle';
      g.fillText(String(rank), n / 2, n / 2 + 1);
    });
  }
  draw('proposal', 30, (g, n) => {
    g.beginPath(); g.moveTo(n / 2, 2); g.lineTo(n - 3, n / 2); g.lineTo(n / 2, n - 2); g.lineTo(3, n / 2); g.closePath();
    g.fillStyle = '#7048e8'; g.fill(); g.lineWidth = 2; g.strokeStyle = '#fff'; g.stroke();
  });
}

/** MapLibre's interface strings in Chinese, and the English ones they replace. */
const MAP_UI = {
  zh: {
    'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小',
    'NavigationControl.ResetBearing': '指北', 'AttributionControl.ToggleAttribution': '数据来源',
    'ScaleControl.Meters': '米', 'ScaleControl.Kilometers': '公里',
  },
  en: {
    'NavigationControl.ZoomIn': 'Zoom in', 'NavigationControl.ZoomOut': 'Zoom out',
    'NavigationControl.ResetBearing': 'Reset bearing to north', 'AttributionControl.ToggleAttribution': 'Toggle attribution',
    'ScaleControl.Meters': 'm', 'ScaleControl.Kilometers': 'km',
  },
};

/** Adds (or re-adds) the zoom buttons, the scale bar and the attribution, labelled in the map's locale. */
function addControls(map) {
  const c = map.nuanxinControls || {};
  for (const ctl of Object.values(c)) map.removeControl(ctl);
  map.nuanxinControls = {
    nav: new maplibregl.NavigationControl({ showCompass: false }),
    scale: new maplibregl.ScaleControl({ unit: 'metric' }),
    attribution: new maplibregl.AttributionControl({ compact: true, customAttribution: [] }),
  };
  map.addControl(map.nuanxinControls.nav, 'top-right');
  map.addControl(map.nuanxinControls.scale, 'bottom-left');
  map.addControl(map.nuanxinControls.attribution, 'bottom-right');
}

/**
 * Switches the map's own controls (scale bar units, zoom button labels, attribution toggle)
 * and the data credits (`t('attribution')`, in the current language of i18n.js) to `lang`. MapLibre takes its UI strings once, at construction (`locale`), so they are
 * updated in the map's string table (`_locale`, read by `Map#_getUIString`) and the controls
 * re-added.
 */
export function setMapLanguage(map, lang) {
  if (map._locale) Object.assign(map._locale, MAP_UI[lang === 'en' ? 'en' : 'zh']);
  // The data credits too: MapLibre reads each source's `attribution` when the control is added.
  const districts = map.getSource(districtSourceId(map));
  if (districts) districts.attribution = t('attribution');
  addControls(map);
}

/** Creates the map in `container`. */
export function createMap(container, config, lang, attribution, data = {}) {
  const map = new maplibregl.Map({
    container,
    style: buildStyle(config, lang, attribution, data),
    center: HOME.center,
    zoom: HOME.zoom,
    minZoom: 4,
    maxZoom: 18,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    cooperativeGestures: false,
    locale: MAP_UI[lang === 'en' ? 'en' : 'zh'],
  });
  map.touchZoomRotate.disableRotation();
  addControls(map);
  return map;
}
