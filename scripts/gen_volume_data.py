#!/usr/bin/env python3
"""Nationwide volume datasets for the scale benchmarks (issue 16): reproducible, synthetic.

    python3 scripts/gen_volume_data.py --points 1000000 --out target/volume/points_1m.geojson
    python3 scripts/gen_volume_data.py --suggestions 100000 --out target/volume/suggestions_100k.csv

Service points (GeoJSON FeatureCollection, WGS-84, one feature per line, about 330 bytes a
feature like the shipped demo file): scattered around 60 Chinese cities, weighted by their urban
population (7th census 2020, rounded), normal scatter with a spread that grows with the city;
kinds 25 % stations, 35 % collection points, 35 % rider-friendly communities, 5 % legal aid;
names, addresses, operators, phones, opening hours, amenities and access methods drawn from
small vocabularies as the demo generator (crates/nuanxin-core/src/demo.rs) does. Every feature
carries `demo: true` so the data can never pass for real points.

Suggestions (CSV: lon,lat,category,title): open suggestions scattered the same way.

Randomness: Python's `random.Random(seed)` (Mersenne Twister; `random()`, `gauss()` and
`choices()` are stable across Python 3 releases), default seed 20261207, so the same arguments
give the same bytes. Pure standard library; about 1 µs per byte written (1M points ≈ 25 s).
"""
import argparse
import json
import os
import random
import sys

# (name, lon, lat, urban population in millions) -- city-centre positions (WGS-84, from
# OpenStreetMap, rounded to 0.01°), populations from the 2020 census (rounded).
CITIES = [
    ("北京市", 116.40, 39.90, 19.2), ("上海市", 121.47, 31.23, 22.3), ("广州市", 113.26, 23.13, 16.1),
    ("深圳市", 114.06, 22.54, 17.4), ("重庆市", 106.55, 29.56, 15.0), ("天津市", 117.20, 39.13, 11.7),
    ("成都市", 104.07, 30.57, 13.6), ("武汉市", 114.31, 30.59, 11.0), ("杭州市", 120.16, 30.27, 9.2),
    ("西安市", 108.94, 34.34, 9.3), ("南京市", 118.80, 32.06, 7.9), ("郑州市", 113.63, 34.75, 7.8),
    ("长沙市", 112.94, 28.23, 5.6), ("沈阳市", 123.43, 41.80, 7.0), ("青岛市", 120.38, 36.07, 6.0),
    ("东莞市", 113.75, 23.02, 9.6), ("佛山市", 113.12, 23.02, 9.0), ("哈尔滨市", 126.53, 45.80, 5.8),
    ("济南市", 117.00, 36.67, 6.8), ("昆明市", 102.83, 24.88, 5.3), ("大连市", 121.61, 38.91, 5.0),
    ("苏州市", 120.58, 31.30, 8.2), ("合肥市", 117.23, 31.82, 5.1), ("福州市", 119.30, 26.08, 4.1),
    ("南宁市", 108.37, 22.82, 4.6), ("长春市", 125.32, 43.82, 4.7), ("石家庄市", 114.51, 38.04, 4.8),
    ("太原市", 112.55, 37.87, 4.5), ("贵阳市", 106.71, 26.58, 4.0), ("南昌市", 115.86, 28.68, 3.9),
    ("厦门市", 118.09, 24.48, 4.6), ("宁波市", 121.55, 29.87, 5.0), ("无锡市", 120.31, 31.49, 4.5),
    ("乌鲁木齐市", 87.62, 43.83, 3.8), ("兰州市", 103.83, 36.06, 3.0), ("温州市", 120.70, 28.00, 3.6),
    ("汕头市", 116.68, 23.35, 3.8), ("海口市", 110.32, 20.03, 2.3), ("呼和浩特市", 111.75, 40.84, 2.4),
    ("银川市", 106.23, 38.49, 2.0), ("西宁市", 101.78, 36.62, 1.9), ("拉萨市", 91.12, 29.65, 0.6),
    ("徐州市", 117.28, 34.20, 3.8), ("常州市", 119.97, 31.81, 3.7), ("泉州市", 118.68, 24.87, 3.3),
    ("惠州市", 114.42, 23.11, 3.0), ("中山市", 113.39, 22.52, 3.5), ("南通市", 120.89, 31.98, 3.0),
    ("洛阳市", 112.45, 34.62, 2.7), ("株洲市", 113.13, 27.83, 1.6), ("湘潭市", 112.94, 27.83, 1.1),
    ("衡阳市", 112.57, 26.89, 1.6), ("岳阳市", 113.13, 29.36, 1.4), ("常德市", 111.70, 29.03, 1.2),
    ("怀化市", 110.00, 27.55, 0.9), ("邵阳市", 111.47, 27.24, 1.1), ("益阳市", 112.36, 28.55, 0.9),
    ("郴州市", 113.01, 25.77, 0.9), ("永州市", 111.61, 26.42, 0.8), ("淮南市", 117.00, 32.63, 1.9),
]

KINDS = [("station", 25), ("collection_point", 35), ("rider_friendly_community", 35), ("legal_aid", 5)]
AMENITIES = ["drinking_water", "charging", "hot_meals", "toilet", "heating", "cooling", "rest",
             "wifi", "parking", "legal_consult"]
ACCESS = ["open", "face_scan", "rider_code", "staffed_hours"]
HOURS = ["24/7", "Mo-Su 08:00-20:00", "Mo-Fr 09:00-18:00", "Mo-Su 07:00-22:00",
         "Mo-Sa 08:30-17:30"]
STREETS = ["人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "文化路", "长江路",
           "黄河路", "胜利路", "五一大道", "芙蓉路", "湘江中路", "东风路", "朝阳路", "友谊路"]
COMMUNITIES = ["幸福", "和谐", "阳光", "新村", "东塘", "桂花", "枫林", "杨家山", "望月",
               "清水塘", "金盆岭", "南湖", "丽景", "锦绣", "东方", "翠园"]
OPERATORS = ["{city}总工会", "{city}社会工作部", "{community}社区居委会", "{street}街道党群服务中心",
             "{city}司法局", "{community}物业服务中心"]
KIND_NAMES = {
    "station": ["{community}社区暖新驿站", "{street}工会户外劳动者服务站", "{community}红色之家"],
    "collection_point": ["{community}社区人民建议征集点", "{street}党群服务中心征集点"],
    "rider_friendly_community": ["{community}小区", "{community}花园", "{community}家园"],
    "legal_aid": ["{city}新就业群体权益服务点", "{street}法律援助工作站"],
}
SUGGESTION_CATEGORIES = ["entry_access", "parking", "supplies", "rest", "education", "childcare",
                         "rights", "safety_hazard", "other"]


def six_decimals(x):
    """`x` with exactly six significant decimals, the last one non-zero (0.1 m): a JSON
    number loses trailing zeros, and the importer rightly warns about short coordinates."""
    s = f"{x:.6f}"
    return s if s[-1] != "0" else s[:-1] + "1"


def city_position(rng, weights):
    name, lon, lat, pop = rng.choices(CITIES, weights)[0]
    spread_deg = 0.05 + 0.02 * pop  # about 6 km for a small city, 50 km for Shanghai
    return (name, six_decimals(lon + rng.gauss(0.0, spread_deg)),
            six_decimals(lat + rng.gauss(0.0, spread_deg * 0.8)))


def points(n, seed, out):
    rng = random.Random(seed)
    weights = [c[3] for c in CITIES]
    kinds, kind_weights = zip(*KINDS)
    out.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        city, lon, lat = city_position(rng, weights)
        kind = rng.choices(kinds, kind_weights)[0]
        community = rng.choice(COMMUNITIES)
        street = rng.choice(STREETS)
        fill = {"city": city, "community": community, "street": street}
        amenities = [a for a in AMENITIES if rng.random() < (0.7 if kind == "station" else 0.25)]
        props = {
            "access": rng.choice(ACCESS),
            "address": f"{city}{street}{rng.randint(1, 999)}号",
            "amenities": amenities,
            "demo": True,
            "kind": kind,
            "name": rng.choice(KIND_NAMES[kind]).format(**fill) + f"{i % 997 + 1}号",
            "opening_hours": rng.choice(HOURS),
            "operator": rng.choice(OPERATORS).format(**fill),
            "phone": f"0{rng.randint(10, 999)}-{rng.randint(10000000, 99999999)}",
            "source": "synthetic volume data 演示数据",
            "updated_at": "2026-12-01T00:00:00Z",
        }
        # Six decimals always (0.1 m), written by hand: json would drop trailing zeros and the
        # importer rightly warns about coordinates with fewer decimals.
        sep = ",\n" if i + 1 < n else "\n"
        out.write(f'{{"geometry":{{"coordinates":[{lon},{lat}],"type":"Point"}},'
                  f'"id":"vol-{i:07d}","properties":'
                  + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
                  + ',"type":"Feature"}' + sep)
    out.write("]}\n")


def suggestions(n, seed, out):
    rng = random.Random(seed ^ 0x5EED)
    weights = [c[3] for c in CITIES]
    out.write("lon,lat,category,title\n")
    for i in range(n):
        _, lon, lat = city_position(rng, weights)
        category = rng.choice(SUGGESTION_CATEGORIES)
        out.write(f"{lon},{lat},{category},第{i + 1}条建议：{rng.choice(STREETS)}附近需要改进\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--points", type=int, help="number of service points (GeoJSON)")
    group.add_argument("--suggestions", type=int, help="number of open suggestions (CSV)")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        if a.points is not None:
            points(a.points, a.seed, f)
        else:
            suggestions(a.suggestions, a.seed, f)
    os.replace(tmp, a.out)
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
