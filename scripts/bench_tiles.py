#!/usr/bin/env python3
"""Load generator of scripts/bench-tiles.sh: tile latency against the GeoJSON endpoint for the
same views, over sequential keep-alive requests to the running server.

    bench_tiles.py PORT ROUNDS

Views: a 1280 x 800 CSS-pixel map (MapLibre draws 512-pixel vector tiles, so at zoom z it
shows the zoom-z tiles the view touches) centred on each of 10 cities, at z10 to z14. Per
zoom, for the station layer (`kind=station`, what the page shows first):
  - tiles cold: every tile of every view fetched once right after a cache flush (a new data
    generation: a throw-away admin-free way is not available, so "cold" is the first
    round, before the tile cache holds them);
  - tiles warm: the same tiles again (served from the tile cache);
  - GeoJSON: `GET /api/v1/points?kind=station&bbox=<view>&limit=2000`, the page's request
    below the threshold (VIEW_LIMIT 2000 in web/courier.js).
Prints one tab-separated line per (zoom, what): requests, p50 ms, p99 ms, mean bytes per
response (identity), mean bytes per view. Then the z5 tile over Hunan (26/13): bytes
(identity and gzip), all kinds and stations.
"""
import gzip
import http.client
import math
import statistics
import sys
import time

CITIES = [(116.40, 39.90), (121.47, 31.23), (113.26, 23.13), (114.06, 22.54), (106.55, 29.56),
          (104.07, 30.57), (114.31, 30.59), (120.16, 30.27), (112.94, 28.23), (108.94, 34.34)]
W, H = 1280, 800


def merc_px(lon, lat, z):
    """World pixel position at zoom z with 512-pixel tiles."""
    n = 512 * 2 ** z
    x = (lon + 180) / 360 * n
    phi = math.radians(lat)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n
    return x, y


def px_lonlat(x, y, z):
    n = 512 * 2 ** z
    lon = x / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def view(lon, lat, z):
    cx, cy = merc_px(lon, lat, z)
    x0, y0, x1, y1 = cx - W / 2, cy - H / 2, cx + W / 2, cy + H / 2
    tiles = [(z, tx, ty) for tx in range(int(x0 // 512), int(x1 // 512) + 1)
             for ty in range(int(y0 // 512), int(y1 // 512) + 1)]
    w, n = px_lonlat(x0, y0, z)
    e, s = px_lonlat(x1, y1, z)
    return tiles, f"{w:.5f},{s:.5f},{e:.5f},{n:.5f}"


def get(conn, path, enc="identity"):
    t = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": enc})
    r = conn.getresponse()
    body = r.read()
    dt = (time.perf_counter() - t) * 1000
    if r.status != 200:
        sys.exit(f"{path}: HTTP {r.status}: {body[:300]!r}")
    return dt, len(body), body


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    port, rounds = int(sys.argv[1]), int(sys.argv[2])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    print("zoom\twhat\trequests\tp50_ms\tp99_ms\tbytes_per_response\tbytes_per_view")
    for z in range(10, 15):
        views = [view(lon, lat, z) for lon, lat in CITIES]
        res = {"tiles cold": [], "tiles warm": [], "geojson": []}
        size = {k: [] for k in res}
        per_view = {k: [] for k in res}
        for tiles, bbox in views:
            tot = 0
            for (tz, tx, ty) in tiles:
                dt, n, _ = get(conn, f"/tiles/points/{tz}/{tx}/{ty}.mvt?kind=station")
                res["tiles cold"].append(dt); size["tiles cold"].append(n); tot += n
            per_view["tiles cold"].append(tot)
        for _ in range(rounds):
            for tiles, bbox in views:
                tot = 0
                for (tz, tx, ty) in tiles:
                    dt, n, _ = get(conn, f"/tiles/points/{tz}/{tx}/{ty}.mvt?kind=station")
                    res["tiles warm"].append(dt); size["tiles warm"].append(n); tot += n
                per_view["tiles warm"].append(tot)
                dt, n, _ = get(conn, f"/api/v1/points?kind=station&bbox={bbox}&limit=2000")
                res["geojson"].append(dt); size["geojson"].append(n); per_view["geojson"].append(n)
        for k in res:
            print(f"{z}\t{k}\t{len(res[k])}\t{statistics.median(res[k]):.2f}\t{pct(res[k], 99):.2f}\t"
                  f"{statistics.mean(size[k]):.0f}\t{statistics.mean(per_view[k]):.0f}")
    for q in ["", "?kind=station"]:
        _, n, body = get(conn, f"/tiles/points/5/26/13.mvt{q}")
        print(f"z5 26/13{q or ' (all kinds)'}\tidentity {n} B\tgzip {len(gzip.compress(body, 6))} B")


if __name__ == "__main__":
    main()
