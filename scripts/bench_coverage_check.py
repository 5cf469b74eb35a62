"""Independent check of `nuanxin coverage` (the issue's "done when"): recompute the per-district
table with other libraries and compare.

- cells: h3-py (`h3.geo_to_h3shape` + `h3.h3shape_to_cells`, centre containment) per county;
- covered: a cell is covered when GeographicLib (pyproj.Geod, WGS-84) puts its centre within
  r metres of a station of the kinds (brute force over all stations near the cell);
- areas: pyproj.Geod polygon area of each cell's boundary (ellipsoidal, no H3 area involved).

Usage: bench_coverage_check.py REPORT.json STATIONS.geojson BOUNDARIES.geojson
(REPORT from `nuanxin coverage --json`). Prints both tables and the largest differences.
"""
import json
import sys

import h3
import numpy as np
from pyproj import Geod

report = json.load(open(sys.argv[1]))
stations = json.load(open(sys.argv[2]))["features"]
boundaries = json.load(open(sys.argv[3]))["features"]
geod = Geod(ellps="WGS84")
r = report["parameters"]["radius_m"]
res = report["parameters"]["resolution"]
kinds = set(report["parameters"]["kinds"])
pts = np.array([f["geometry"]["coordinates"] for f in stations
                if not kinds or f["properties"].get("kind") in kinds])
print(f"{len(pts)} stations, r = {r} m, resolution {res}")

worst = 0.0
print(f"{'adcode':<8}{'cells':>8}{'ours':>8}{'area km²':>11}{'ours':>11}{'covered km²':>13}{'ours':>10}")
for row in report["districts"]:
    code = row.get("adcode")
    if code is None:
        continue
    feat = next(f for f in boundaries if f["properties"]["adcode"] == code)
    cells = list(h3.h3shape_to_cells(h3.geo_to_h3shape(feat["geometry"]), res))
    centres = np.array([h3.cell_to_latlng(c) for c in cells])  # (lat, lon)
    area = 0.0
    covered = 0.0
    for c, (lat, lon) in zip(cells, centres):
        b = h3.cell_to_boundary(c)  # ((lat, lon), ...)
        a = abs(geod.polygon_area_perimeter([p[1] for p in b], [p[0] for p in b])[0]) / 1e6
        area += a
        if len(pts):
            near = pts[(np.abs(pts[:, 1] - lat) < 0.05) & (np.abs(pts[:, 0] - lon) < 0.06)]
            if len(near):
                _, _, d = geod.inv(np.full(len(near), lon), np.full(len(near), lat), near[:, 0], near[:, 1])
                if (d <= r).any():
                    covered += a
    print(f"{code:<8}{len(cells):>8}{row['cells']:>8}{area:>11.3f}{row['area_km2']:>11.3f}"
          f"{covered:>13.3f}{row['covered_km2']:>10.3f}")
    worst = max(worst, abs(area - row["area_km2"]), abs(covered - row["covered_km2"]))
print(f"largest difference: {worst:.4f} km²")
