"""Builds the embedded demand layers in data/demand/ from /work/shared/data (see data/README.md).

Usage: python make_demand.py SHARED_DATA_DIR   (needs pyproj; run from any directory)

- ghsl_built_volume_2020_changsha_core_100m.csv.gz: the staged GHSL CSV (lon, lat, built volume m³
  of each non-zero 100 m cell, WGS-84 cell centres), unchanged, gzip-compressed (-9, no name/time so
  the output is reproducible).
- ghsl_extent_wgs84.geojson: the outline of the GHSL raster crop (344 × 254 cells of 100 m in World
  Mollweide ESRI:54009, origin x = 10 451 357.616 m, y = 3 444 175.365 m, read from the GeoTIFF's
  ModelTiepoint/ModelPixelScale tags), 40 points per side converted to WGS-84 with pyproj. Inside
  it every cell has a value (zero or not); outside it there is no data.
"""
import gzip
import io
import json
import os
import sys

from pyproj import Transformer

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
here = os.path.dirname(os.path.abspath(__file__))
csv_in = os.path.join(src, "ghsl-changsha", "ghsl_built_volume_2020_changsha_core_100m.csv")
raw = open(csv_in, "rb").read()
buf = io.BytesIO()
with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
    g.write(raw)
open(os.path.join(here, "ghsl_built_volume_2020_changsha_core_100m.csv.gz"), "wb").write(buf.getvalue())

X0, Y0, W, H, CELL = 10451357.61649501, 3444175.3650160218, 344, 254, 100.0
x1, y1 = X0 + W * CELL, Y0 - H * CELL
t = Transformer.from_crs("ESRI:54009", "EPSG:4326", always_xy=True)
n = 40
edge = []
for i in range(n):  # top edge west → east, then down the east edge, bottom east → west, up the west edge
    edge.append((X0 + (x1 - X0) * i / n, Y0))
for i in range(n):
    edge.append((x1, Y0 + (y1 - Y0) * i / n))
for i in range(n):
    edge.append((x1 + (X0 - x1) * i / n, y1))
for i in range(n):
    edge.append((X0, y1 + (Y0 - y1) * i / n))
edge.append(edge[0])
ring = [[round(c, 6) for c in t.transform(x, y)] for x, y in edge]
ring.reverse()  # counter-clockwise exterior ring (RFC 7946 right-hand rule)
fc = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "properties": {
            "name": "GHSL built volume 2020, Changsha urban core: extent of the data",
            "source": "GHS-BUILT-V R2023A (JRC), CC BY 4.0; raster crop 344 x 254 cells of 100 m, ESRI:54009",
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }],
}
json.dump(fc, open(os.path.join(here, "ghsl_extent_wgs84.geojson"), "w"), ensure_ascii=False)
# check: the first CSV row is the centre of a cell inside the extent
first = raw.decode().splitlines()[1].split(",")
tx = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)
x, y = tx.transform(float(first[0]), float(first[1]))
print("first cell centre in Mollweide:", x, y, "col", (x - X0) / CELL, "row", (Y0 - y) / CELL)
print("extent lon", min(p[0] for p in ring), max(p[0] for p in ring), "lat", min(p[1] for p in ring), max(p[1] for p in ring))
