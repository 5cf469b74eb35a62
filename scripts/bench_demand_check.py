"""Independent check of the demand-weighted district table of `nuanxin coverage --demand LAYER`.

Recomputes, with other libraries and from the raw shipped files, for every district row:
- cells: h3-py (`h3.geo_to_h3shape` + `h3.h3shape_to_cells`, centre containment) per county;
- demand per cell: every GHSL point (data/demand/*.csv.gz) or every OSM POI of the pick-up classes
  restaurant, fast_food, cafe, supermarket, convenience (weight 1 each, as the issue defines the
  layer) goes to `h3.latlng_to_cell` of its position;
- data extent: a cell has builtup data when its centre, projected to World Mollweide with pyproj,
  falls inside the GHSL raster (origin and size from the GeoTIFF header, see SOURCES.md); pickups
  data when the centre lies in the OSM extract box 111.9–114.3 E, 27.8–28.7 N;
- covered: GeographicLib (pyproj.Geod) distance from the cell centre to a station of the kinds ≤ r;
- areas: pyproj.Geod polygon area of each cell's boundary.

Usage: bench_demand_check.py REPORT.json LAYER STATIONS.geojson BOUNDARIES.geojson
Prints both tables; exits 1 if a demand share or data share differs by more than 0.1 percentage point.
"""
import csv
import gzip
import json
import sys

import h3
import numpy as np
from pyproj import Geod, Transformer

report_path, layer, stations_path, bounds_path = sys.argv[1:5]
report = json.load(open(report_path))
geod = Geod(ellps="WGS84")
r = report["parameters"]["radius_m"]
res = report["parameters"]["resolution"]
kinds = set(report["parameters"]["kinds"])
stations = json.load(open(stations_path))["features"]
pts = np.array([f["geometry"]["coordinates"] for f in stations
                if not kinds or f["properties"].get("kind") in kinds])
if report["parameters"].get("open_at"):
    sys.exit("this check does not evaluate opening hours; run the report without --at")

demand = {}
if layer == "builtup":
    with gzip.open("data/demand/ghsl_built_volume_2020_changsha_core_100m.csv.gz", "rt") as f:
        for row in csv.DictReader(f):
            c = h3.latlng_to_cell(float(row["lat"]), float(row["lon"]), res)
            demand[c] = demand.get(c, 0.0) + float(row["built_volume_m3"])
    to_moll = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)
    X0, Y0, W, H = 10451357.61649501, 3444175.3650160218, 344 * 100.0, 254 * 100.0

    def has_data(lat, lon):
        x, y = to_moll.transform(lon, lat)
        return X0 <= x <= X0 + W and Y0 - H <= y <= Y0
elif layer == "pickups":
    classes = {"restaurant", "fast_food", "cafe", "supermarket", "convenience"}
    for f in json.load(open("data/osm/osm_pois_changsha.geojson"))["features"]:
        if f["properties"].get("fclass") in classes:
            lon, lat = f["geometry"]["coordinates"][:2]
            c = h3.latlng_to_cell(lat, lon, res)
            demand[c] = demand.get(c, 0.0) + 1.0

    def has_data(lat, lon):
        return 111.9 <= lon <= 114.3 and 27.8 <= lat <= 28.7
else:
    sys.exit(f"unknown layer {layer}")

boundaries = json.load(open(bounds_path))["features"]
print(f"layer {layer}: {len(pts)} stations, r = {r} m, resolution {res}")
print(f"{'adcode':<8}{'demand %':>10}{'ours':>8}{'data %':>8}{'ours':>8}{'demand':>16}{'ours':>16}")
worst = 0.0
tot_d = tot_c = 0.0
for row in report["districts"]:
    code = row.get("adcode")
    if code is None:
        continue
    feat = next(f for f in boundaries if f["properties"]["adcode"] == code)
    cells = list(h3.h3shape_to_cells(h3.geo_to_h3shape(feat["geometry"]), res))
    area = data_area = d_total = d_cov = 0.0
    for c in cells:
        lat, lon = h3.cell_to_latlng(c)
        b = h3.cell_to_boundary(c)
        a = abs(geod.polygon_area_perimeter([p[1] for p in b], [p[0] for p in b])[0]) / 1e6
        area += a
        if has_data(lat, lon):
            data_area += a
        w = demand.get(c, 0.0)
        if w <= 0:
            continue
        d_total += w
        near = pts[(np.abs(pts[:, 1] - lat) < 0.05) & (np.abs(pts[:, 0] - lon) < 0.06)] if len(pts) else pts
        if len(near):
            _, _, d = geod.inv(np.full(len(near), lon), np.full(len(near), lat), near[:, 0], near[:, 1])
            if (d <= r).any():
                d_cov += w
    tot_d += d_total
    tot_c += d_cov
    share = 100 * d_cov / d_total if d_total > 0 and data_area > 0 else None
    data_pct = 100 * data_area / area if area else 0.0
    ours = row.get("demand_covered_percent")
    ours_data = row.get("demand_data_percent", 0.0)
    fmt = lambda v: "无数据" if v is None else f"{v:.2f}"
    print(f"{code:<8}{fmt(share):>10}{fmt(ours):>8}{data_pct:>8.2f}{ours_data:>8.2f}"
          f"{d_total:>16.1f}{row.get('demand_total', 0.0):>16.1f}")
    if (share is None) != (ours is None):
        worst = float("inf")
    elif share is not None:
        worst = max(worst, abs(share - ours))
    worst = max(worst, abs(data_pct - ours_data))
total_share = 100 * tot_c / tot_d if tot_d else 0.0
ours_total = report["summary"]["demand_covered_percent"]
print(f"{'total':<8}{total_share:>10.2f}{ours_total:>8.2f}")
worst = max(worst, abs(total_share - ours_total))
print(f"largest difference: {worst:.4f} percentage points (goal ≤ 0.1)")
sys.exit(0 if worst <= 0.1 else 1)
