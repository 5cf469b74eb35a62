#!/usr/bin/env bash
# Open311 GeoReport v2 against the real server: every XML answer (discovery, services, a
# service definition, requests GET and POST, a request by id, errors) validates against
# tests/standards/open311.xsd with xmllint (Debian libxml2-utils); JSON and XML agree on the
# submitted request; bad attributes and unknown services get the GeoReport error shapes.
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt curl curl xmllint libxml2-utils python3 python3
start_server
xsd="$root/tests/standards/open311.xsd"
u="$NUANXIN_URL/open311/v2"
check_xml() { # name, expected HTTP status, curl args...
  local name=$1 want=$2; shift 2
  local code
  code=$(curl -sS -o "$tmp/$name.xml" -w '%{http_code}' "$@")
  [ "$code" = "$want" ] || { echo "$name: HTTP $code, expected $want"; cat "$tmp/$name.xml"; exit 1; }
  xmllint --noout --schema "$xsd" "$tmp/$name.xml"
}
check_xml discovery 200 "$u/discovery.xml"
check_xml services 200 "$u/services.xml"
check_xml definition 200 "$u/services/rest.xml"
check_xml created 201 -X POST "$u/requests.xml" \
  --data-urlencode service_code=rest --data-urlencode lat=28.1986 --data-urlencode long=112.97092 \
  --data-urlencode 'description=五一广场附近缺少休息点 <test & check>' \
  --data-urlencode 'attribute[role]=rider' --data-urlencode email=rider@example.com --data-urlencode phone=13800138000
id=$(xmllint --xpath 'string(//service_request_id)' "$tmp/created.xml")
check_xml one 200 "$u/requests/$id.xml"
check_xml list 200 "$u/requests.xml?service_code=rest,parking&status=open"
check_xml bad_attribute 400 -X POST "$u/requests.xml" \
  --data-urlencode service_code=rest --data-urlencode lat=28.1986 --data-urlencode long=112.97092 \
  --data-urlencode 'description=x' --data-urlencode 'attribute[role]=astronaut'
check_xml unknown_service 404 "$u/services/nope.xml"
check_xml unknown_request 404 "$u/requests/NOPE.xml"
curl -fsS "$u/requests/$id.json" >"$tmp/one.json"
python3 - "$tmp/one.json" "$tmp/one.xml" "$id" <<'PY'
import json, sys, xml.etree.ElementTree as ET
j = json.load(open(sys.argv[1]))[0]
x = ET.parse(sys.argv[2]).getroot().find("request")
assert j["service_request_id"] == x.findtext("service_request_id") == sys.argv[3]
assert j["description"] == x.findtext("description"), (j["description"], x.findtext("description"))
assert abs(j["lat"] - float(x.findtext("lat"))) < 1e-12 and abs(j["long"] - float(x.findtext("long"))) < 1e-12
assert "13800138000" not in open(sys.argv[1]).read() + open(sys.argv[2]).read(), "private contact shown"
print("open311: XML and JSON agree; contact kept private")
PY
echo "open311: every XML answer valid against open311.xsd"
