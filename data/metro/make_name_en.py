#!/usr/bin/env python3
"""Adds `name_en` to every station of changsha_metro_stations_wgs84.geojson: the station's
name in Hanyu Pinyin for the English interface, as words with capitals, e.g.
五一广场 → "Wuyi Guangchang", 开福区政府 → "Kaifu Qu Zhengfu",
金盆丘(铜官窑巴士站) → "Jinpenqiu (Tongguanyao Bashizhan)".

No English station names exist in the data we may ship (metromancn gives `name` and a
toneless run-together `pinyin`; the OpenStreetMap stations of osm-rail-stations-hunan have no
`name:en`), so the English name is the source's own pinyin, only split and capitalised:

- the reading of every character is the source's (`pinyin`, e.g. 长庆 = changqing, not
  zhangqing); pypinyin's list of each character's possible readings only tells where one
  syllable ends. Where the source's pinyin does not spell the name (one slip: 迎宾路口
  "yinbinlukou"), pypinyin's reading of the whole name is used and printed for review;
- words follow the place-name rule of GB/T 16159-2012 (Basic rules of the Chinese phonetic
  alphabet orthography, 6.3.8): the specific part (专名) and the generic part (通名) are
  written apart, each with a capital; a one-syllable generic (山, 湖, 桥, 塘 …) is joined
  to its name as on the stations' signs (秀峰山 Xiufengshan); a direction after a name is
  a word of its own (梅溪湖西 Meixihu Xi); a bracketed second name keeps its brackets.

Run from the repository root after changing the station file (pypinyin only, pip):
    python3 -m venv /tmp/v && /tmp/v/bin/pip install pypinyin==0.55.0
    /tmp/v/bin/python data/metro/make_name_en.py
The file is rewritten in place in its compact form; a second run changes nothing.
"""
import json
import re
import sys
from pathlib import Path

from pypinyin import Style, pinyin

PATH = Path(__file__).with_name("changsha_metro_stations_wgs84.geojson")

# Generic parts (通名) of two or more syllables, longest first; each is a word of its own.
GENERIC = [
    "火车南站", "火车站", "巴士站", "博物馆", "博物院", "文创园", "区政府", "省政府", "西校区",
    "医院", "广场", "公园", "大学", "学院", "中心", "政府", "机场", "新城", "湿地", "大道",
    "大桥", "路口", "中路", "东路", "北站", "南站", "西站", "书院", "师范", "眼科", "三角洲",
]
# One-syllable generic parts that are words of their own at the end of a name (roads).
END_GENERIC = ["路"]
# Names of several names, or of names and generic parts no rule above tells apart.
SPLIT = {
    "文化艺术中心": ["文化", "艺术", "中心"],
    "星沙文体中心": ["星沙", "文体", "中心"],
    "麓谷体育公园": ["麓谷", "体育", "公园"],
    "湖南工商大学": ["湖南", "工商", "大学"],
    "隆平水稻博物馆": ["隆平", "水稻", "博物馆"],
    "窑岭湘雅二医院": ["窑岭", "湘雅", "二", "医院"],
    "湘雅三医院": ["湘雅", "三", "医院"],
    "农科院农大": ["农科院", "农大"],
    "省肿瘤医院": ["省", "肿瘤", "医院"],
    "一师范西校区": ["一师范", "西校区"],
    "第一师范": ["第一", "师范"],
    "城际先锋站": ["城际", "先锋站"],
    "城际长沙站": ["城际", "长沙站"],
    "磁浮榔梨": ["磁浮", "榔梨"],
    "磁浮机场": ["磁浮", "机场"],
    "磁浮高铁": ["磁浮", "高铁"],
    "黄花机场T1T2": ["黄花", "机场", "T1T2"],
    "隆平芯谷": ["隆平", "芯谷"],
    "湖南广电": ["湖南", "广电"],
    "湖南师大": ["湖南", "师大"],
}
# Generic parts written as more than one word (区 of a district, 省 of the province).
SUBWORDS = {"区政府": ["区", "政府"], "省政府": ["省", "政府"], "火车南站": ["火车", "南站"]}
DIRECTIONS = "东西南北"


def words(name):
    """The words of a name without brackets, as lists of characters."""
    if name in SPLIT:
        return SPLIT[name]
    if name in SUBWORDS:
        return SUBWORDS[name]
    for g in GENERIC:
        i = name.find(g)
        if i > 0 or (i == 0 and len(name) > len(g)):
            head, tail = name[:i], name[i + len(g):]
            return (words(head) if head else []) + SUBWORDS.get(g, [g]) + (words(tail) if tail else [])
    for g in END_GENERIC:
        if len(name) > len(g) and name.endswith(g):
            return words(name[: -len(g)]) + [g]
    # A direction after a name of two or more characters: 梅溪湖西, 高桥南, 烈士公园东.
    if len(name) >= 3 and name[-1] in DIRECTIONS:
        return words(name[:-1]) + [name[-1]]
    return [name]


def syllables(name, source):
    """The source's pinyin split into one syllable per Chinese character of `name` (a Latin
    run such as T1T2 stays as written)."""
    rest = re.sub(r"[^a-z0-9]", "", source.lower())
    out = []
    for ch in name:
        if not re.match(r"[\u4e00-\u9fff]", ch):
            if ch.isalnum():
                if not rest.startswith(ch.lower()):
                    raise ValueError(f"{name}: {ch!r} not at {rest!r}")
                rest = rest[1:]
                out.append(ch)
            continue
        readings = sorted({r for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]}, key=len, reverse=True)
        # ü is written v or u in toneless pinyin
        readings = [r.replace("ü", "v") for r in readings] + [r.replace("ü", "u") for r in readings if "ü" in r]
        for r in readings:
            if rest.startswith(r):
                out.append(r)
                rest = rest[len(r):]
                break
        else:
            raise ValueError(f"{name}: no reading of {ch} ({readings}) at {rest!r}")
    if rest:
        raise ValueError(f"{name}: {rest!r} left over")
    return out


def name_en(name, source):
    try:
        sy = iter(syllables(name, source))
    except ValueError as e:
        # A slip in the source's pinyin (迎宾路口 "yinbinlukou"): pypinyin's reading of the
        # whole name (its phrase table settles polyphones), reported for review.
        own = "".join(r[0] for r in pinyin(name, style=Style.NORMAL))
        print(f"source pinyin {source!r} does not spell {name} ({e}); using {own!r}", file=sys.stderr)
        sy = iter(syllables(name, own))
    chars = lambda w: [c for c in w if c.isalnum()]

    def romanise(part):
        out = []
        for w in words(part):
            s = "".join(next(sy) for _ in chars(w))
            out.append(s[:1].upper() + s[1:])
        return " ".join(out)

    m = re.fullmatch(r"([^()]+)\(([^()]+)\)", name)
    if m:
        return f"{romanise(m.group(1))} ({romanise(m.group(2))})"
    return romanise(name)


def main():
    text = PATH.read_text(encoding="utf-8")
    data = json.loads(text)
    for f in data["features"]:
        p = f["properties"]
        en = name_en(p["name"], p["pinyin"])
        # keep the key order: name_en right after pinyin
        f["properties"] = {k: v for k, v in p.items() if k != "name_en"}
        items = list(f["properties"].items())
        i = [k for k, _ in items].index("pinyin") + 1
        f["properties"] = dict(items[:i] + [("name_en", en)] + items[i:])
    out = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    PATH.write_text(out, encoding="utf-8")
    print(f"{len(data['features'])} stations", file=sys.stderr)


if __name__ == "__main__":
    main()
