#!/usr/bin/env python3
"""HTTP side of scripts/bench-scale.sh: server CPU time per request, measured from the
server's /proc/PID/stat (utime + stime) over many sequential keep-alive requests, with a
baseline (`GET /healthz`, the cheapest route) in the same run; and wall time of admin edits.

    bench_scale_http.py cpu PID PORT N PATH...      -> one line per path: path, CPU µs/request, bytes
    bench_scale_http.py edits PORT TOKEN N ID       -> wall ms per PUT of one point (median, max, p99)
    bench_scale_http.py probe PORT TOKEN N ID       -> reader latency without and during N edits

probe: a reader process sends `GET /api/v1/nearest` (k = 5, positions around the edited
point) back to back for the whole run; the first phase has no edits (baseline), the second
runs N edits (PUT, moving point ID back and forth) from this process. Prints one line:
reader p50 and p99 (ms) without edits, the same during the edits, the number of reads in
each phase, and the edits' median, p99 and maximum wall time (ms).
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
    print(f"{statistics.median(times):.1f}\t{max(times):.1f}\t{pct([t / 1e3 for t in times], 0.99):.1f}")


def reader(port, stop, out):
    """Runs nearest queries until `stop` is set; appends (start time, latency s) to `out`."""
    import random
    rng = random.Random(7)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    while not stop.is_set():
        lon, lat = 112.97 + rng.uniform(-0.05, 0.05), 28.2 + rng.uniform(-0.05, 0.05)
        t = time.perf_counter()
        conn.request("GET", f"/api/v1/nearest?lon={lon:.6f}&lat={lat:.6f}&k=5")
        r = conn.getresponse()
        r.read()
        out.append((t, time.perf_counter() - t))


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1e3 if values else float("nan")


def probe(port, token, n, pid_):
    import multiprocessing as mp
    stop = mp.Event()
    manager = mp.Manager()
    samples = manager.list()
    proc = mp.Process(target=reader, args=(port, stop, samples))
    proc.start()
    time.sleep(1.0)  # reader warmed up
    base_start = time.perf_counter()
    time.sleep(8.0)  # baseline: no edits
    edit_start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = {"id": pid_, "kind": "station", "name": "基准测试驿站", "location": [112.97, 28.2]}
    edit_times = []
    for i in range(n):
        body["location"][0] = 112.97 + (1e-5 if i % 2 == 0 else 0.0)
        t = time.perf_counter()
        conn.request("PUT", f"/api/v1/admin/points/{pid_}", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        out = r.read()
        edit_times.append(time.perf_counter() - t)
        if r.status not in (200, 201):
            stop.set()
            sys.exit(f"PUT: HTTP {r.status}: {out[:300]!r}")
    edit_end = time.perf_counter()
    stop.set()
    proc.join()
    got = list(samples)
    base = [d for t, d in got if base_start <= t < edit_start]
    during = [d for t, d in got if edit_start <= t < edit_end]
    print(f"{pct(base, 0.5):.2f}\t{pct(base, 0.99):.2f}\t{pct(during, 0.5):.2f}\t{pct(during, 0.99):.2f}"
          f"\t{len(base)}\t{len(during)}\t{pct(edit_times, 0.5):.1f}\t{pct(edit_times, 0.99):.1f}"
          f"\t{max(edit_times) * 1e3:.1f}")


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "cpu":
        cpu(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        edits(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
