#!/usr/bin/env python3
"""HTTP side of scripts/bench-scale.sh: server CPU time per request, measured from the
server's /proc/PID/stat (utime + stime) over many sequential keep-alive requests, with a
baseline (`GET /healthz`, the cheapest route) in the same run; and wall time of admin edits.

    bench_scale_http.py cpu PID PORT N PATH...      -> one line per path: path, CPU µs/request, bytes
    bench_scale_http.py edits PORT TOKEN N ID       -> wall ms per PUT of one point (median, max)
"""
import http.client
import json
import os
import statistics
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu(pid, port, n, paths):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for path in paths:
        conn.request("GET", path)  # warm-up (first use of a route, caches)
        size = len(conn.getresponse().read())
        before = cpu_s(pid)
        for _ in range(n):
            conn.request("GET", path, headers={"Accept-Encoding": "identity"})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                sys.exit(f"{path}: HTTP {r.status}: {body[:300]!r}")
        used = cpu_s(pid) - before
        print(f"{path}\t{used / n * 1e6:.0f}\t{size}")


def edits(port, token, n, pid_):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    # A point in Changsha (edits must lie in a served district), moved 1 m back and forth.
    body = {"id": pid_, "kind": "station", "name": "基准测试驿站", "location": [112.97, 28.2]}
    times = []
    for i in range(n):
        body["location"][0] = 112.97 + (1e-5 if i % 2 == 0 else 0.0)
        t = time.perf_counter()
        conn.request("PUT", f"/api/v1/admin/points/{pid_}", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        out = r.read()
        times.append((time.perf_counter() - t) * 1e3)
        if r.status not in (200, 201):
            sys.exit(f"PUT: HTTP {r.status}: {out[:300]!r}")
    print(f"{statistics.median(times):.1f}\t{max(times):.1f}")


if __name__ == "__main__":
    if sys.argv[1] == "cpu":
        cpu(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        edits(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
