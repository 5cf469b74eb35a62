#!/usr/bin/env python3
"""Reference travel times and isochrones from Valhalla (pyvalhalla) on an OSM extract.

Usage: valhalla_oracle.py PBF VALHALLA_JSON OUT.json [--pairs 1000] [--isochrones 50] [--seed 17]
           [--bicycle-pbf COPY.osm.pbf --bicycle-config BIKE_VALHALLA_JSON]
           [--transitions-out TRANSITIONS.json] [--timing-out TIMES.json]

Positions are random vertices (seeded) of ways that both engines let pedestrians use, read
from the PBF with pyosmium, so neither engine has to snap far. Origin-destination pairs are
redrawn until they are at least MIN_PAIR_M apart (on shorter trips one crossing delay is a
large share). For each pair Valhalla's route is asked for walking (`pedestrian`) and for
e-bikes (`bicycle`), and for each isochrone origin a 5-minute walking isochrone.

Two tile sets: walking routes and isochrones use VALHALLA_JSON's tiles, built from PBF; bicycle
routes use BIKE_VALHALLA_JSON's, built from COPY, the same extract with every way tagged
`bicycle=use_sidepath` retagged `bicycle=no` (scripts/osm_close_use_sidepath.py; this script
checks that nothing else differs and records the rule and the count of ways). Our e-bike tag
table closes those streets (OSM wiki: cyclists must use the separate track; China's Road Traffic
Safety Law, Art. 57); Valhalla's bicycle costing only penalises them, `shortest` drops the
penalty and no option closes them, so on the original tiles it rode them in 180 of 999 pairs.
Without --bicycle-pbf, bicycle routes use the original tiles (the oracle says so).

Costing is set to our model as far as Valhalla allows (see docs/benchmarks.md, "Accuracy against
Valhalla"): walking_speed / cycling_speed = ours; on foot every preference factor neutral and
no penalties except Valhalla's private-access one (walk_costing); by bicycle `shortest: true`
(the path of least length), the `mountain` type (least slowed by surfaces), gate costs and
penalties 0, tunnels left out of the end candidates (bike_costing, BIKE_SEARCH_FILTER). What
Valhalla still adds and we do not: its intersection delays (stop impact x turn cost at each
node: pedestrian 0-15 s, bicycle a median 8.5 % of the trip's time on this extract; recorded
per bicycle trip as `transition_s`, from `trace_attributes` along the route), its surface speed
factors (mountain: gravel 0.75, path 0.55), and, by bicycle, streets tagged
`bicycle=use_sidepath` and private roads, which it only penalises (and `shortest` drops the
penalty) while our table closes them (closed in the bicycle tiles' copy, above). The access tags
of the ways each bicycle route uses are recorded (`ways`, from the file its tiles were built
from), so the test can compare on the pairs whose Valhalla route uses only ways our table opens
as well as on all pairs.

With --transitions-out, each bicycle route's nodes are written there too (not in the oracle,
to keep it small): per node, Valhalla's intersection delay and what it depends on (the number
of intersecting edges, the turn, the road class and use of the edges in and out); see
TRANSITION_COLUMNS.

The output records the exact command, the versions and the options used.
"""
import argparse
import importlib.metadata
import json
import math
import platform
import random
import sys
import time

import osmium
import valhalla

import osm_close_use_sidepath as sidepath

# Highway classes that both our tag table (China's defaults) and Valhalla's (generic) open to
# pedestrians. Cycleways are left out: our table closes them to walking, Valhalla's does not.
POOL_HIGHWAYS = {
    "footway", "pedestrian", "residential", "service", "unclassified", "tertiary",
    "tertiary_link", "secondary", "secondary_link", "primary", "primary_link",
    "living_street", "path",
}
CLOSED = {"no", "private"}
MIN_PAIR_M = 200.0
# Calls per origin when timing the isochrone call (bench-valhalla.sh compares with ours).
TIMING_REPEATS = 20
WALK_KMH = 5.0
EBIKE_KMH = 15.0


def geodesic_m(a, b):
    """Haversine distance (mean Earth radius 6 371 008.8 m), metres."""
    r = 6371008.8
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    dla, dlo = la2 - la1, math.radians(b[0] - a[0])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def pool(pbf):
    """Sorted, distinct positions of nodes of pedestrian ways, `(lon, lat)` rounded to 1e-7."""
    pts = {}
    for w in osmium.FileProcessor(pbf).with_locations().with_filter(osmium.filter.KeyFilter("highway")):
        if not w.is_way():
            continue
        t = w.tags
        if t.get("highway") not in POOL_HIGHWAYS:
            continue
        if t.get("access") in CLOSED or t.get("foot") in CLOSED or t.get("area") == "yes":
            continue
        if t.get("tunnel") in ("yes", "building_passage") or t.get("indoor") == "yes":
            continue
        for n in w.nodes:
            if n.location.valid():
                pts[n.ref] = (round(n.location.lon, 7), round(n.location.lat, 7))
    return [pts[k] for k in sorted(pts)]


def data_bbox(pbf):
    """Bounding box of every node in the file, [min lon, min lat, max lon, max lat]: the extent
    of the data. Both engines' polygons spill past it by their walk-off or grid cell where the
    roads stop, so the test compares them inside it."""
    xs, ys = [], []
    for n in osmium.FileProcessor(pbf, osmium.osm.NODE):
        if n.location.valid():
            xs.append(n.location.lon)
            ys.append(n.location.lat)
    return [min(xs), min(ys), max(xs), max(ys)]


def walk_costing():
    # The quickest path at one speed: every preference factor neutral (1.0, or 0.5 for the
    # use_* sliders, which maps to factor 1), no penalties. Not `shortest: true`: it also drops
    # the private-access penalty, so Valhalla would walk through private gates, which our
    # model closes. The private-access penalty (600 s of cost, no time) stays as Valhalla's
    # stand-in for "closed".
    return {
        "walking_speed": WALK_KMH,
        "walkway_factor": 1.0,
        "sidewalk_factor": 1.0,
        "alley_factor": 1.0,
        "driveway_factor": 1.0,
        "service_factor": 1.0,
        "service_penalty": 0,
        "use_living_streets": 0.5,
        "use_tracks": 0.5,
        "use_lit": 0.0,
        "gate_cost": 0,
        "gate_penalty": 0,
        "step_penalty": 0,
        "maneuver_penalty": 0,
    }


def bike_costing():
    # Valhalla's bicycle costing set as close to our e-bike model (one speed on every usable
    # way, the quickest path = the shortest one) as its options allow (Valhalla API reference,
    # "Bicycle costing options"):
    return {
        # Our configured e-bike speed (issue 17: set to ours).
        "cycling_speed": EBIKE_KMH,
        # The path of least length: at one speed that is our quickest path. Valhalla: "solely
        # use distance as cost and disregard all other costs, penalties and factors", so the
        # preference options below change no route; they are set neutral for the record.
        "shortest": True,
        # Of the four types, "mountain" slows least on rough surfaces (Valhalla multiplies the
        # speed by 1.0 on paved and compacted, 0.9 dirt, 0.75 gravel, 0.55 path; "hybrid",
        # the default, by 0.8 already on compacted, e.g. Helsinki's park cycleways). We
        # apply no surface factor, so this is the closest; the rest cannot be switched off.
        "bicycle_type": "mountain",
        # 0: no surface penalty and no surface closed (1 would close bad surfaces; we close
        # none by surface).
        "avoid_bad_surfaces": 0.0,
        # Neutral towards roads, hills and living streets (we prefer none).
        "use_roads": 0.5,
        "use_hills": 0.5,
        "use_living_streets": 0.5,
        # No time at gates (ours: a gate is passable or not, no delay) and no penalties.
        "gate_cost": 0,
        "gate_penalty": 0,
        "maneuver_penalty": 0,
    }


# Where a bicycle trip starts and ends: Valhalla snaps to the nearest usable edge even in a
# tunnel (an underground service road below a pool vertex); ours snaps to a tunnel only when
# no road at the surface is near (routing/tags.rs, WayAccess::tunnel). The pool's vertices lie
# on ways outside tunnels, so tunnels are left out of Valhalla's candidates for bicycles
# (location `search_filter.exclude_tunnel`). Walking keeps Valhalla's defaults (its figures
# were measured with them).
BIKE_SEARCH_FILTER = {"exclude_tunnel": True}

# Tags of the ways a bicycle route uses that decide access (recorded per pair, so the test can
# tell which of Valhalla's routes use ways our tag table closes to e-bikes).
ACCESS_KEYS = ("highway", "route", "area", "access", "vehicle", "bicycle", "electric_bicycle")


# Columns of each node row in --transitions-out (one row per end node of the route's edges, in
# order; the last row is the destination, with no edge out). From `trace_attributes` along
# the route's own shape: `transition_time` (s) of `edges[i].end_node`; the number of its
# `intersecting_edges` (edges at the node other than the ones in and out) and their
# road classes; the turn in degrees clockwise, 0-359 (Valhalla's convention: 0 straight on,
# 90 right, 180 U-turn), from the edge in's `end_heading` to the edge out's `begin_heading`;
# `road_class` and `use` of the edges in and out; the node's `type` and `traffic_signal`; the
# edge in's length (km) and `density` (Valhalla's 0-15 road density, which scales delays).
TRANSITION_COLUMNS = (
    "transition_s", "intersecting_edges", "turn_deg", "in_road_class", "in_use",
    "out_road_class", "out_use", "node_type", "traffic_signal", "intersecting_road_classes",
    "in_length_km", "in_density",
)


def node_rows(edges):
    """Rows of TRANSITION_COLUMNS for the end node of each of `edges` (trace_attributes)."""
    rows = []
    for i, e in enumerate(edges):
        n = e.get("end_node", {})
        out = edges[i + 1] if i + 1 < len(edges) else None
        crossing = n.get("intersecting_edges", [])
        turn = None
        if out is not None and "end_heading" in e and "begin_heading" in out:
            turn = (out["begin_heading"] - e["end_heading"]) % 360
        rows.append([
            n.get("transition_time", 0.0),
            len(crossing),
            turn,
            e.get("road_class"),
            e.get("use"),
            out.get("road_class") if out else None,
            out.get("use") if out else None,
            n.get("type"),
            n.get("traffic_signal"),
            [c.get("road_class") for c in crossing],
            e.get("length"),
            e.get("density"),
        ])
    return rows


def route(actor, a, b, costing, options, way_tags=None, transitions=None):
    """Valhalla's route from `a` to `b`: time (s) and length (m). With `way_tags` (OSM way id
    -> tags), also the seconds of the time that are Valhalla's intersection delays
    (`transition_s`: each node's `transition_time` of `trace_attributes` along the route's own
    shape) and the distinct access tags of the ways used (`ways`, "k=v;k=v" per way, keys
    ACCESS_KEYS). With `transitions` (a dict), it gets the route's node rows
    (`nodes`, TRANSITION_COLUMNS) and whether Valhalla took the edges as driven on the right."""
    locs = [{"lon": a[0], "lat": a[1]}, {"lon": b[0], "lat": b[1]}]
    if costing == "bicycle":
        for loc in locs:
            loc["search_filter"] = BIKE_SEARCH_FILTER
    req = {
        "locations": locs,
        "costing": costing,
        "costing_options": {costing: options},
        "units": "kilometers",
        "directions_type": "none",
    }
    try:
        r = json.loads(actor.route(json.dumps(req)))
    except RuntimeError as e:  # no route (e.g. an isolated piece)
        return {"error": str(e)[:120]}
    s = r["trip"]["summary"]
    out = {"time_s": round(s["time"], 3), "length_m": round(s["length"] * 1000.0, 1)}
    if way_tags is not None:
        shape = r["trip"]["legs"][0]["shape"]
        t = None
        for match in ("edge_walk", "walk_or_snap"):
            try:
                t = json.loads(actor.trace_attributes(json.dumps({
                    "encoded_polyline": shape, "shape_match": match,
                    "costing": costing, "costing_options": {costing: options},
                })))
                break
            except RuntimeError:
                continue
        if t is not None:
            edges = t.get("edges", [])
            out["transition_s"] = round(sum(e.get("end_node", {}).get("transition_time", 0.0) for e in edges), 3)
            ways = set()
            for e in edges:
                tags = way_tags.get(e.get("way_id"), {})
                ways.add(";".join(f"{k}={tags[k]}" for k in ACCESS_KEYS if k in tags))
            out["ways"] = sorted(ways)
            if transitions is not None:
                transitions["shape_match"] = match
                transitions["drive_on_right"] = sorted({e.get("drive_on_right") for e in edges}, key=str)
                transitions["nodes"] = node_rows(edges)
    return out


def rewritten_ways(original, copy):
    """Ids of the ways that differ between `original` and `copy` (the bicycle tiles' PBF),
    after checking that each differs by the rule of osm_close_use_sidepath.py alone and
    that every other object (ids, versions, metadata, locations, node lists, members, tags)
    is the same. Raises SystemExit naming the first other difference."""

    def objects(path):
        for o in osmium.FileProcessor(path):
            row = [o.type_str(), o.id, o.version, str(o.timestamp), o.uid, o.changeset,
                   [(t.k, t.v) for t in o.tags]]
            if o.is_node():
                row.append((o.location.lon, o.location.lat) if o.location.valid() else None)
            elif o.is_way():
                row.append([n.ref for n in o.nodes])
            else:
                row.append([(m.type, m.ref, m.role) for m in o.members])
            yield row

    ids = []
    mine, theirs = list(objects(original)), list(objects(copy))
    if len(mine) != len(theirs):
        sys.exit(f"{copy}: {len(theirs)} objects, {original} has {len(mine)}")
    for x, y in zip(mine, theirs):
        if x == y:
            continue
        expected = [(k, sidepath.TO if (k, v) == (sidepath.KEY, sidepath.FROM) else v) for k, v in x[6]]
        if x[0] != "w" or (sidepath.KEY, sidepath.FROM) not in x[6] or x[:6] + [expected] + x[7:] != y:
            sys.exit(f"{copy}: {x[0]}{x[1]} differs from {original} other than by "
                     f"{sidepath.KEY}={sidepath.FROM} -> {sidepath.KEY}={sidepath.TO}")
        ids.append(x[1])
    for x, y in zip(mine, theirs):  # every way the rule names was rewritten
        if x[0] == "w" and (sidepath.KEY, sidepath.FROM) in x[6] and x == y:
            sys.exit(f"{copy}: way {x[1]} still has {sidepath.KEY}={sidepath.FROM}")
    return ids


def access_tags(pbf):
    """OSM way id -> its ACCESS_KEYS tags, for ways with `highway` or `route`."""
    out = {}
    for w in osmium.FileProcessor(pbf, osmium.osm.WAY):
        t = w.tags
        if "highway" in t or "route" in t:
            out[w.id] = {k: t[k] for k in ACCESS_KEYS if k in t}
    return out


def isochrone_request(o, minutes):
    return {
        "locations": [{"lon": o[0], "lat": o[1]}],
        "costing": "pedestrian",
        "costing_options": {"pedestrian": walk_costing()},
        "contours": [{"time": minutes}],
        "polygons": True,
    }


def isochrone(actor, o, minutes):
    r = json.loads(actor.isochrone(json.dumps(isochrone_request(o, minutes))))
    geom = r["features"][0]["geometry"]

    def rnd(x):
        return [round(x[0], 7), round(x[1], 7)] if isinstance(x[0], float) else [rnd(y) for y in x]

    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pbf")
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--isochrones", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--timing-out", help="write Valhalla's warm isochrone times here (JSON: wall_s, cpu_s per origin)")
    ap.add_argument("--bicycle-pbf", help="the copy of PBF the bicycle tiles were built from "
                    "(scripts/osm_close_use_sidepath.py); checked and described in the oracle")
    ap.add_argument("--bicycle-config", help="Valhalla config of the bicycle tiles (default: the walking one)")
    ap.add_argument("--transitions-out", help="write each bicycle route's node rows here (JSON, TRANSITION_COLUMNS)")
    a = ap.parse_args()
    if bool(a.bicycle_pbf) != bool(a.bicycle_config):
        ap.error("--bicycle-pbf and --bicycle-config go together")

    pts = pool(a.pbf)
    rng = random.Random(a.seed)
    actor = valhalla.Actor(a.config)
    bike_actor = valhalla.Actor(a.bicycle_config) if a.bicycle_config else actor
    bike_pbf = a.bicycle_pbf or a.pbf
    rewritten = rewritten_ways(a.pbf, a.bicycle_pbf) if a.bicycle_pbf else []
    way_tags = access_tags(bike_pbf)
    pairs = []
    node_rows_per_pair = []
    while len(pairs) < a.pairs:
        o, d = rng.choice(pts), rng.choice(pts)
        if geodesic_m(o, d) < MIN_PAIR_M:
            continue
        trans = {} if a.transitions_out else None
        pairs.append({
            "from": list(o),
            "to": list(d),
            "walk": route(actor, o, d, "pedestrian", walk_costing()),
            "ebike": route(bike_actor, o, d, "bicycle", bike_costing(), way_tags, trans),
        })
        if trans is not None:
            e = pairs[-1]["ebike"]
            node_rows_per_pair.append({
                "pair": len(pairs) - 1, "from": list(o), "to": list(d),
                "time_s": e.get("time_s"), "length_m": e.get("length_m"),
                "transition_s": e.get("transition_s"), **trans,
            })
    isos = []
    timings = {"wall_s": [], "cpu_s": [], "repeats": TIMING_REPEATS}
    for _ in range(a.isochrones):
        o = rng.choice(pts)
        poly = isochrone(actor, o, a.minutes)  # also warms the tiles up
        # The engine's call alone (request text in, GeoJSON text out), warm: wall and CPU
        # time per call, the mean of TIMING_REPEATS calls.
        req = json.dumps(isochrone_request(o, a.minutes))
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(TIMING_REPEATS):
            actor.isochrone(req)
        timings["wall_s"].append((time.perf_counter() - t0) / TIMING_REPEATS)
        timings["cpu_s"].append((time.process_time() - c0) / TIMING_REPEATS)
        isos.append({"origin": list(o), "minutes": a.minutes, "mode": "walk", "polygon": poly})
    if a.bicycle_pbf:
        bicycle_extract = {
            "file": a.bicycle_pbf.split("/")[-1],
            "made_by": "scripts/osm_close_use_sidepath.py " + a.pbf + " " + a.bicycle_pbf,
            "rule": f"every way tagged {sidepath.KEY}={sidepath.FROM} retagged {sidepath.KEY}={sidepath.TO}; "
                    "nothing else changed (checked object by object against the extract)",
            "ways_rewritten": len(rewritten),
            "way_ids": rewritten,
            "why": (
                "our e-bike tag table closes bicycle=use_sidepath (OSM wiki, Key:bicycle: cyclists must "
                "use the separate track; China's Road Traffic Safety Law, Art. 57: non-motor vehicles "
                "use non-motor lanes); Valhalla's bicycle costing only penalises such streets, "
                "`shortest` drops the penalty and no option closes them, so both engines are asked "
                "on the same legal network"
            ),
            "valhalla_config": (
                "valhalla_build_config defaults, only the mjolnir tile, admin and timezone paths "
                "set; tiles by valhalla_build_tiles from this file (scripts/bench-valhalla.sh)"
            ),
        }
        bike_about = (
            "Bicycle routes on a second tile set built from a copy of the extract in which the "
            f"{len(rewritten)} ways tagged bicycle=use_sidepath are tagged bicycle=no "
            "(bicycle_extract); walking routes and isochrones on tiles built from the extract itself. "
        )
    else:
        bicycle_extract = None
        bike_about = "Walking and bicycle on tiles built from the extract itself. "
    out = {
        "about": (
            "Reference travel times (Valhalla route, walking and bicycle) and 5-minute walking "
            "isochrones (Valhalla isochrone) on the extract, for the routing oracle test. "
            + bike_about +
            "Data (c) OpenStreetMap contributors, ODbL 1.0."
        ),
        "command": "scripts/valhalla_oracle.py " + " ".join(sys.argv[1:]),
        "versions": {
            "pyvalhalla": importlib.metadata.version("pyvalhalla"),
            "pyosmium": importlib.metadata.version("osmium"),
            "python": platform.python_version(),
        },
        "valhalla_config": (
            "valhalla_build_config defaults, only the mjolnir tile, admin and timezone paths "
            "set; tiles by valhalla_build_tiles (scripts/bench-valhalla.sh)"
        ),
        # The file both our graph (the test imports it) and the walking tiles are built from.
        "extract": a.pbf.split("/")[-1],
        "bicycle_extract": bicycle_extract,
        "data_bbox": data_bbox(a.pbf),
        "seed": a.seed,
        "min_pair_m": MIN_PAIR_M,
        "pool_highways": sorted(POOL_HIGHWAYS),
        "walk_speed_kmh": WALK_KMH,
        "ebike_speed_kmh": EBIKE_KMH,
        "costing": {"pedestrian": walk_costing(), "bicycle": bike_costing()},
        "bicycle_search_filter": BIKE_SEARCH_FILTER,
        "pairs": pairs,
        "isochrones": isos,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    if a.transitions_out:
        with open(a.transitions_out, "w") as f:
            json.dump({
                "about": (
                    "Valhalla's bicycle routes of the oracle's pairs, node by node (trace_attributes "
                    "along each route's shape): the intersection delay at each node and what it "
                    "depends on. Rows: columns; pair: index in the oracle's pairs. drive_on_right: "
                    "the edges' flag (without an admin database Valhalla may take the other side)."
                ),
                "oracle_command": out["command"],
                "bicycle_extract": bicycle_extract,
                "columns": TRANSITION_COLUMNS,
                "pairs": node_rows_per_pair,
            }, f, separators=(",", ":"))
            f.write("\n")
    if a.timing_out:
        with open(a.timing_out, "w") as f:
            json.dump(timings, f)
    ok = sum(1 for p in pairs if "time_s" in p["walk"])
    print(f"{len(pairs)} pairs ({ok} routed on foot), {len(isos)} isochrones -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
