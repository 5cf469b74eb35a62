#!/usr/bin/env bash
# /metrics of the real server, both formats: the classic text format 0.0.4 passes
# `promtool check metrics` (Debian package prometheus) and the OpenMetrics answer parses with
# the OpenMetrics parser of the Python Prometheus client (Debian python3-prometheus-client);
# every family has HELP and TYPE; process_* and nuanxin_build_info are present.
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt curl curl promtool prometheus
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-prometheus-client >/dev/null
}
start_server
curl -fsS "$NUANXIN_URL/api/v1/nearest?lon=112.97&lat=28.2" >/dev/null
curl -fsS "$NUANXIN_URL/metrics/nope" >/dev/null 2>&1 || true
curl -fsS -D "$tmp/h004" -o "$tmp/m004" "$NUANXIN_URL/metrics"
curl -fsS -D "$tmp/hom" -o "$tmp/mom" \
  -H 'Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' \
  "$NUANXIN_URL/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/h004"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$tmp/hom"
echo "promtool check metrics (text format 0.0.4):"
promtool check metrics <"$tmp/m004"
/usr/bin/python3 - "$tmp/m004" "$tmp/mom" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as classic
text004, textom = (open(p).read() for p in sys.argv[1:3])
fams = {f.name: f for f in om(textom)}
want = ["nuanxin_http_requests", "nuanxin_http_request_duration_seconds", "nuanxin_index_points",
        "nuanxin_build", "process_cpu_seconds", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_start_time_seconds", "process_open_fds",
        "process_max_fds", "process_threads"]
missing = [w for w in want if w not in fams]
assert not missing, f"missing in OpenMetrics: {missing}"
assert all(f.documentation for f in fams.values()), "a family without HELP"
assert fams["nuanxin_build"].type == "info"
# Classic text: every sample's family has HELP and TYPE lines.
helps = {l.split()[2] for l in text004.splitlines() if l.startswith("# HELP ")}
types = {l.split()[2] for l in text004.splitlines() if l.startswith("# TYPE ")}
for f in classic(text004):
    assert f.type != "unknown", f"{f.name} has no TYPE"
names = {l.split("{")[0].split(" ")[0] for l in text004.splitlines() if l and not l.startswith("#")}
for n in names:
    base = next((b for b in types if n == b or (n.startswith(b + "_") and n[len(b):] in ("_bucket", "_sum", "_count"))), None)
    assert base and base in helps, f"sample {n} has no HELP/TYPE family"
print(f"OpenMetrics: {len(fams)} families parse; text 0.0.4: {len(names)} sample names, all with HELP and TYPE")
PY
