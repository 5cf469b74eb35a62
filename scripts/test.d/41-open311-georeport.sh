#!/usr/bin/env bash
# Open311 GeoReport v2 with a real client from PyPI: `georeport` 0.3.1 (the one Open311
# package that installs on Python 3.11; `open311` 1.1 and `three` 0.8 are Python 2 only)
# reads services, a service definition, requests (with date-only start_date/end_date) and a
# request by id, in JSON and in XML. The client has no POST, so the POST is sent with
# `requests` as multipart/form-data with a `media` picture, the way the specification
# describes it; then `tokens/{token}` (JSON, and XML checked against open311.xsd), the
# stored photo (EXIF stripped, private) and the 5 MiB limit are checked.
# The client lives in a virtualenv (~/.cache/nuanxin/open311-venv, or $NUANXIN_OPEN311_VENV).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt curl curl xmllint libxml2-utils python3 python3
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt __python3_venv__ python3-venv
VENV="${NUANXIN_OPEN311_VENV:-$HOME/.cache/nuanxin/open311-venv}"
if ! "$VENV/bin/python" -c 'import georeport, requests' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'georeport==0.3.1'
fi
start_server
"$VENV/bin/python" - "$NUANXIN_URL" "$tmp" <<'PY'
import datetime as dt, json, sys, requests
from georeport import GeoReport

base, tmp = sys.argv[1], sys.argv[2]
root = f"{base}/open311/v2"
gj, gx = GeoReport(root, output_format="json"), GeoReport(root, output_format="xml")

def as_list(x):
    return x if isinstance(x, list) else [x]

# The nine categories of the glossary are the services, in both formats.
codes = ["entry_access", "parking", "supplies", "rest", "education", "childcare", "rights",
         "safety_hazard", "other"]
assert sorted(s["service_code"] for s in gj.get_service_list()) == sorted(codes)
assert sorted(s["service_code"] for s in as_list(gx.get_service_list())) == sorted(codes)
d = gj.get_service_definition("rest")
assert [a["code"] for a in d["attributes"]] == ["role"], d
dx = gx.get_service_definition("rest")
assert as_list(dx["attributes"]["attribute"])[0]["code"] == "role", dx

# A JPEG (ITU T.81 layout) with an EXIF segment naming a place, which must not be kept.
def seg(marker, body):
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
jpeg = (b"\xff\xd8" + seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
        + seg(0xE1, b"Exif\0\0MM\0*GPS 28.2012N 113.0340E HOME") + seg(0xDB, bytes(65))
        + seg(0xC0, bytes([8, 0, 1, 0, 1, 1, 1, 0x11, 0])) + seg(0xC4, bytes(17))
        + seg(0xDA, bytes([1, 1, 0, 0, 63, 0])) + b"\x00\xff\xd9")
form = {"service_code": "rest", "lat": "28.1986", "long": "112.97092",
        "description": "五一广场附近缺少休息点", "attribute[role]": "courier"}
r = requests.post(f"{root}/requests.json", data=form,
                  files={"media": ("photo.jpg", jpeg, "image/jpeg")})
assert r.status_code == 201, r.text
created = r.json()[0]
sid, receipt = created["service_request_id"], created["receipt_token"]

# tokens/{token}: ids are immediate, the token is the id.
t = requests.get(f"{root}/tokens/{sid}.json")
assert t.status_code == 200 and t.json() == [{"service_request_id": sid, "token": sid}], t.text
with open(f"{tmp}/token.xml", "wb") as f:
    f.write(requests.get(f"{root}/tokens/{sid}.xml").content)
missing = requests.get(f"{root}/tokens/NOPE.json")
assert missing.status_code == 404 and missing.json()[0]["code"] == 404, missing.text

# The request by id, JSON and XML, as the client reads it.
one = gj.get_service_request(sid)
assert one["description"] == form["description"] and abs(one["lat"] - 28.1986) < 1e-9, one
onex = gx.get_service_request(sid)
assert onex["service_request_id"] == sid and float(onex["long"]) == 112.97092, onex
assert "media_url" not in one or one["media_url"] in (None, ""), one  # the photo is private

# The media is the suggestion's photo: public view says so, the receipt opens it, the EXIF
# place is gone.
pub = requests.get(f"{base}/api/v1/suggestions/{sid}").json()
assert pub["has_photo"] is True, pub
ph = requests.get(f"{base}/api/v1/suggestions/{sid}/photo", headers={"X-Receipt-Token": receipt})
assert ph.status_code == 200 and ph.content.startswith(b"\xff\xd8"), ph.status_code
assert b"HOME" not in ph.content
assert requests.get(f"{base}/api/v1/suggestions/{sid}/photo").status_code in (401, 403)

# Date-only filters, read in China Standard Time (UTC+8); both ends inclusive.
today = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()
day = lambda n: (today + dt.timedelta(days=n)).isoformat()
def ids(g, **q):
    try:
        out = g.get_service_requests(**q)
    except TypeError:
        # georeport indexes into an empty <service_requests/> (xmltodict gives None)
        assert g is gx
        out = []
    if g is gx:
        out = as_list(out) if out else []
    return [x["service_request_id"] for x in out]
for g in (gj, gx):
    assert sid in ids(g, start_date=day(0)), "start_date today"
    assert sid in ids(g, start_date=day(0), end_date=day(0)), "a single day"
    assert sid not in ids(g, start_date=day(1)), "start_date tomorrow"
    assert sid not in ids(g, start_date=day(-3), end_date=day(-1)), "ended yesterday"
    assert sid in ids(g, service_code="parking,rest", status="open")

# The page's upload limit (5 MiB) applies to media; the answer is a GeoReport error.
big = b"\xff\xd8\xff" + bytes(5 * 1024 * 1024)
r = requests.post(f"{root}/requests.json", data=form, files={"media": ("big.jpg", big, "image/jpeg")})
assert r.status_code == 413 and r.json()[0]["code"] == 413, (r.status_code, r.text[:200])
print("open311: georeport reads services, definitions, requests (date-only filters) in JSON and XML; media stored as the private photo; tokens answer")
PY
xmllint --noout --schema "$root/tests/standards/open311.xsd" "$tmp/token.xml"
echo "open311: tokens XML valid against open311.xsd"
