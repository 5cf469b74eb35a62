#!/usr/bin/env python3
"""Copy an OSM PBF with every way tagged `bicycle=use_sidepath` retagged `bicycle=no`.

Usage: osm_close_use_sidepath.py IN.osm.pbf OUT.osm.pbf

Why: our e-bike tag table closes `bicycle=use_sidepath` (OSM wiki, Key:bicycle: cyclists must
use the separate track beside the street; China's Road Traffic Safety Law, Art. 57: non-motor
vehicles ride in non-motor lanes), while Valhalla's bicycle costing only penalises such
streets, `shortest` costing drops the penalty, and no costing option closes them. Valhalla's
bicycle tiles built from this copy close them as we do (`bicycle=no`), so the oracle compares
routes on the same legal network. scripts/bench-valhalla.sh builds the second tile set from
the copy; scripts/valhalla_oracle.py (`--bicycle-pbf`) checks the copy and records the rule
and the count in the oracle.

Nothing else changes: every node, way and relation is copied in order with its id, version,
metadata, location and tags; only the value of the `bicycle` key of those ways differs. The
header (bounding box) is copied. Prints the number of ways rewritten (JSON) on stdout.
"""
import json
import sys

import osmium

# The rule, recorded in the oracle by valhalla_oracle.py.
KEY, FROM, TO = "bicycle", "use_sidepath", "no"


def close_use_sidepath(src, dst):
    """Write `dst`, a copy of `src` with KEY=FROM retagged KEY=TO on ways; the ids rewritten."""
    header = osmium.io.Reader(src, osmium.osm.osm_entity_bits.NOTHING).header()
    rewritten = []
    writer = osmium.SimpleWriter(dst, header=header, overwrite=True)
    try:
        for obj in osmium.FileProcessor(src):
            if obj.is_way() and obj.tags.get(KEY) == FROM:
                tags = {t.k: t.v for t in obj.tags}
                tags[KEY] = TO
                writer.add_way(obj.replace(tags=tags))
                rewritten.append(obj.id)
            else:
                writer.add(obj)
    finally:
        writer.close()
    return rewritten


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    ids = close_use_sidepath(sys.argv[1], sys.argv[2])
    print(json.dumps({"rule": f"way {KEY}={FROM} -> {KEY}={TO}", "ways_rewritten": len(ids)}))


if __name__ == "__main__":
    main()
