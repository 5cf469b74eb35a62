// Fetches every GeoJSON output of a running server and checks it with @mapbox/geojsonhint
// (structure and RFC 7946 right-hand rule) and our precision rule (at most 7 decimals; the
// map's own basemap files at most 5). Usage: node geojsonhint.mjs http://127.0.0.1:PORT
import { hint } from "@mapbox/geojsonhint";

const base = process.argv[2];
const outputs = [
  // [path, how to get the GeoJSON out of the body, maximum decimals]
  ["/api/v1/nearest?lon=112.97092&lat=28.1986&k=5", null, 7],
  ["/api/v1/nearest?lon=112.976341&lat=28.195346&crs=gcj02&k=3&out_crs=gcj02", null, 7],
  ["/api/v1/within?lon=112.97092&lat=28.1986&radius_m=3000", null, 7],
  ["/api/v1/points?bbox=112.9,28.1,113.1,28.3&limit=50", null, 7],
  ["/api/v1/districts?f=geojson&parent=430200", null, 7],
  ["/api/v1/districts?level=city&precision=4", null, 4, { accept: "application/geo+json" }],
  ["/api/v1/districts/430202", null, 7],
  ["/api/v1/districts/430102", null, 7],
  ["/api/v1/service-areas?kind=station&mode=ebike&minutes=5&bbox=112.95,28.15,113.0,28.22", null, 7],
  ["/ogc/collections/station/items?limit=20", null, 7],
  ["/ogc/collections/suggestions/items?limit=20", null, 7],
  ["/data/districts.geojson", null, 5],
  ["/data/district-labels.geojson", null, 5],
  ["/data/rivers.geojson", null, 5],
  ["/data/pois.geojson", null, 5],
];

let problems = 0;
function decimalsOf(v, max, where) {
  if (Array.isArray(v)) return v.forEach((x) => decimalsOf(x, max, where));
  if (typeof v === "number") {
    const d = (String(v).split(".")[1] || "").length;
    if (d > max || String(v).includes("e")) {
      problems++;
      if (problems < 30) console.error(`${where}: ${v} has more than ${max} decimals`);
    }
  }
}
function walk(o, max, where) {
  if (o && typeof o === "object") {
    if (Array.isArray(o)) return o.forEach((x) => walk(x, max, where));
    for (const [k, v] of Object.entries(o)) {
      if (k === "coordinates") decimalsOf(v, max, where);
      else if (k !== "properties") walk(v, max, where);
    }
  }
}

async function check(path, pick, max, headers = {}, optional = false) {
  const r = await fetch(base + path, { headers });
  if (!r.ok) {
    if (optional && r.status === 404) return console.log(`skip ${path} (404)`);
    problems++;
    return console.error(`${path}: HTTP ${r.status} ${await r.text()}`);
  }
  const text = await r.text();
  let doc = JSON.parse(text);
  if (pick) doc = pick(doc);
  if (doc.type !== "FeatureCollection" && doc.type !== "Feature") {
    if (optional) return console.log(`skip ${path} (not GeoJSON)`);
    problems++;
    return console.error(`${path}: not GeoJSON (type ${doc.type})`);
  }
  // precisionWarning off: geojsonhint's own limit is 6 decimals; ours is 7 (checked below).
  const errs = hint(pick ? JSON.stringify(doc) : text, { precisionWarning: false });
  for (const e of errs) {
    problems++;
    console.error(`${path}: line ${e.line}: ${e.message}`);
  }
  walk(doc, max, path);
  const n = doc.features ? doc.features.length : 1;
  console.log(`ok ${path}: ${n} feature(s), ${text.length} bytes, ${errs.length} hint problem(s)`);
}

for (const [path, pick, max, headers, optional] of outputs) await check(path, pick, max, headers, optional);

// Gaps of a coverage analysis (a FeatureCollection inside the JSON report).
{
  const r = await fetch(base + "/api/v1/coverage", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ area: { adcode: "430102" }, kinds: ["station"], mode: "ebike", minutes: 5 }),
  });
  const body = await r.json();
  if (!r.ok || !body.gaps) {
    problems++;
    console.error(`POST /api/v1/coverage: HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  } else {
    const errs = hint(JSON.stringify(body.gaps), { precisionWarning: false });
    for (const e of errs) {
      problems++;
      console.error(`coverage gaps: ${e.message}`);
    }
    walk(body.gaps, 7, "coverage gaps");
    console.log(`ok POST /api/v1/coverage gaps: ${body.gaps.features.length} feature(s), ${errs.length} hint problem(s)`);
  }
}

if (problems > 0) {
  console.error(`${problems} problem(s)`);
  process.exit(1);
}
console.log("geojsonhint: 0 problems");
