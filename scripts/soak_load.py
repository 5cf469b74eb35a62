"""Mixed traffic against a running Nuanxin server for a fixed time, sampling its memory.

    python3 scripts/soak_load.py URL PID SECONDS OUT_CSV [--workers N] [--token T] [--sample S]

Every worker thread keeps one HTTP/1.1 connection (reopened on errors) and sends requests
drawn from MIX by weight: reads (nearest, within, points paging, search, districts, OGC,
Open311, service areas, demand layer, metrics), writes (suggestions with and without a
photo, support, officer answers), the heavy analyses (small coverage analyses, what-if
sessions and their edits, proposals export) and bad input (400s, 404s, 413s). Positions are
random over Changsha, so caches cannot hide growth. A sampler thread records the server's
resident set size (VmRSS of /proc/PID/status) every S seconds into OUT_CSV
(`elapsed_s,rss_kib,requests,errors`). Standard library only.
"""

import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

URL, PID, SECONDS, OUT = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
args = sys.argv[5:]
WORKERS = int(args[args.index("--workers") + 1]) if "--workers" in args else 4
TOKEN = args[args.index("--token") + 1] if "--token" in args else None
SAMPLE_S = float(args[args.index("--sample") + 1]) if "--sample" in args else 10.0
# City-wide what-if sessions created first (during the warm-up), so that the sessions reach
# their memory budget (MAX_SESSION_CELLS) before growth is measured.
PREFILL = int(args[args.index("--prefill") + 1]) if "--prefill" in args else 0
HOST, PORT = urllib.parse.urlsplit(URL).hostname, urllib.parse.urlsplit(URL).port

W, S, E, N = 112.80, 27.95, 113.20, 28.40  # central Changsha and suburbs
DISTRICTS = ["430102", "430103", "430104", "430105", "430111", "430112"]
CATEGORIES = ["entry_access", "parking", "supplies", "rest", "safety_hazard", "other"]
# A 1x1 JPEG (valid SOI/EOI, as small as a photo gets).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd0ffd9"
)

lock = threading.Lock()
stats = {"requests": 0, "errors": 0, "status": {}, "error_kinds": {}}
created = []  # (id, receipt) of suggestions made in this run
sessions = []  # what-if session ids
stop_at = time.monotonic() + SECONDS


def rnd_pos():
    return random.uniform(W, E), random.uniform(S, N)


def q(**kw):
    return urllib.parse.urlencode(kw)


def req_nearest():
    lon, lat = rnd_pos()
    return "GET", f"/api/v1/nearest?{q(lon=f'{lon:.6f}', lat=f'{lat:.6f}', k=random.choice([1, 5, 20]), mode=random.choice(['walk', 'ebike']))}", None, {}


def req_within():
    lon, lat = rnd_pos()
    return "GET", f"/api/v1/within?{q(lon=lon, lat=lat, radius_m=random.choice([500, 2000, 8000]))}", None, {}


def req_points_page():
    return "GET", f"/api/v1/points?{q(limit=random.choice([10, 100]), offset=random.randint(0, 400))}", None, {}


def req_bbox():
    lon, lat = rnd_pos()
    return "GET", f"/api/v1/points?bbox={lon:.4f},{lat:.4f},{lon + 0.05:.4f},{lat + 0.05:.4f}", None, {}


def req_search():
    text = random.choice(["五一广场", "wygc", "驿站", "岳麓", "112.97,28.19", "法律", "xq" + str(random.randint(0, 9999))])
    return "GET", f"/api/v1/search?{q(q=text)}", None, {}


def req_district():
    return "GET", f"/api/v1/districts/{random.choice(DISTRICTS)}", None, {}


def req_ogc():
    kind = random.choice(["station", "legal_aid", "suggestions"])
    return "GET", f"/ogc/collections/{kind}/items?{q(limit=random.choice([10, 50]), offset=random.randint(0, 100))}", None, {}


def req_open311():
    return "GET", random.choice(["/open311/v2/requests.json", "/open311/v2/services.xml", "/open311/v2/requests.xml?status=open"]), None, {}


def req_service_areas():
    lon, lat = rnd_pos()
    return "GET", f"/api/v1/service-areas?{q(bbox=f'{lon:.3f},{lat:.3f},{lon + 0.1:.3f},{lat + 0.1:.3f}', mode='ebike', zoom=random.randint(10, 16))}", None, {}


def req_demand():
    return "GET", f"/api/v1/demand/{random.choice(['builtup', 'pickups'])}?resolution={random.choice([7, 8])}", None, {}


def req_ops():
    return "GET", random.choice(["/metrics", "/healthz", "/readyz", "/api/v1/stats", "/api/v1/campaigns"]), None, {}


def req_submit():
    lon, lat = rnd_pos()
    body = {
        "location": [lon, lat],
        "category": random.choice(CATEGORIES),
        "description": "测试建议 " + "".join(random.choice("驿站充电喝水停车休息") for _ in range(random.randint(5, 200))),
        "contact": "138%08d" % random.randint(0, 99999999),
        "role": "rider",
    }
    return "POST", "/api/v1/suggestions", json.dumps(body).encode(), {"content-type": "application/json"}


def req_submit_photo():
    lon, lat = rnd_pos()
    b = "soakboundary%d" % random.randint(0, 1 << 30)
    parts = []
    for k, v in [("lon", str(lon)), ("lat", str(lat)), ("category", "rest"), ("description", "带照片的建议")]:
        parts.append(f'--{b}\r\ncontent-disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{b}\r\ncontent-disposition: form-data; name="photo"; filename="p.jpg"\r\ncontent-type: image/jpeg\r\n\r\n'.encode() + JPEG + b"\r\n")
    parts.append(f"--{b}--\r\n".encode())
    return "POST", "/api/v1/suggestions", b"".join(parts), {"content-type": f"multipart/form-data; boundary={b}"}


def req_follow():
    with lock:
        if not created:
            return req_nearby()
        sid, receipt = random.choice(created)
    return "GET", f"/api/v1/suggestions/{sid}", None, {"x-receipt-token": receipt}


def req_nearby():
    lon, lat = rnd_pos()
    return "GET", f"/api/v1/suggestions/nearby?{q(lon=lon, lat=lat)}", None, {}


def req_support():
    with lock:
        if not created:
            return req_nearby()
        sid, _ = random.choice(created)
    return "POST", f"/api/v1/suggestions/{sid}/support", b"", {}


def req_answer():
    with lock:
        if not created or not TOKEN:
            return req_nearby()
        sid, _ = random.choice(created)
    body = {"status": random.choice(["accepted", "in_progress"]), "note": "已收到，正在处理"}
    return "POST", f"/api/v1/suggestions/{sid}/status", json.dumps(body).encode(), {"content-type": "application/json", "authorization": f"Bearer {TOKEN}"}


def coverage_body():
    body = {"area": {"adcode": random.choice(DISTRICTS)}, "mode": "ebike", "minutes": random.choice([3, 5, 10]), "resolution": 8}
    if random.random() < 0.5:
        body["demand"] = random.choice(["builtup", "pickups"])
    if random.random() < 0.5:
        body["propose"] = random.randint(1, 3)
    return body


def req_coverage():
    return "POST", "/api/v1/coverage", json.dumps(coverage_body()).encode(), {"content-type": "application/json"}


def req_proposals():
    body = coverage_body()
    body["propose"] = 2
    return "POST", f"/api/v1/coverage/proposals?format={random.choice(['csv', 'geojson'])}", json.dumps(body).encode(), {"content-type": "application/json"}


def req_whatif():
    with lock:
        have = list(sessions)
    if have and random.random() < 0.7:
        lon, lat = rnd_pos()
        body = {"op": "add", "location": [lon, lat]}
        return "POST", f"/api/v1/whatif/{random.choice(have)}", json.dumps(body).encode(), {"content-type": "application/json"}
    return "POST", "/api/v1/whatif", json.dumps(coverage_body()).encode(), {"content-type": "application/json"}


def req_whatif_city():
    body = {"area": {"adcode": "430100"}, "mode": "ebike", "resolution": 9}
    return "POST", "/api/v1/whatif", json.dumps(body).encode(), {"content-type": "application/json"}


def req_bad():
    return random.choice([
        ("GET", "/api/v1/nearest?lon=abc&lat=1", None, {}),
        ("GET", "/api/v1/points?offset=99999999999999999999", None, {}),
        ("GET", "/api/v1/points/does-not-exist", None, {}),
        ("GET", "/api/v1/search?" + q(q="长" * 2000), None, {}),
        ("POST", "/api/v1/coverage", b"[]", {"content-type": "application/json"}),
        ("POST", "/api/v1/suggestions", b"{", {"content-type": "application/json"}),
        ("GET", "/nope/" + str(random.randint(0, 1 << 30)), None, {}),
    ])


MIX = [
    (req_nearest, 30), (req_within, 5), (req_points_page, 5), (req_bbox, 5), (req_search, 8),
    (req_district, 3), (req_ogc, 4), (req_open311, 3), (req_service_areas, 3), (req_demand, 1),
    (req_ops, 3), (req_submit, 4), (req_submit_photo, 1), (req_follow, 4), (req_nearby, 4),
    (req_support, 2), (req_answer, 1), (req_coverage, 2), (req_proposals, 1), (req_whatif, 3),
    (req_whatif_city, 0.05),
    (req_bad, 6),
]
FUNCS = [f for f, _ in MIX]
WEIGHTS = [w for _, w in MIX]


def worker():
    conn = None
    while time.monotonic() < stop_at:
        method, path, body, headers = random.choices(FUNCS, WEIGHTS)[0]()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
            if resp.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:
            with lock:
                stats["errors"] += 1
                key = f"{type(e).__name__} on {method} {path.split('?')[0][:40]}"
                stats["error_kinds"][key] = stats["error_kinds"].get(key, 0) + 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
            continue
        with lock:
            stats["requests"] += 1
            stats["status"][status] = stats["status"].get(status, 0) + 1
            if status == 201 and path == "/api/v1/suggestions":
                v = json.loads(data)
                if v.get("receipt_token"):
                    created.append((v["id"], v["receipt_token"]))
                    del created[:-500]
            if status == 200 and path == "/api/v1/whatif":
                sessions.append(json.loads(data)["session"])
                del sessions[:-32]
    if conn is not None:
        conn.close()


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sampler():
    t0 = time.monotonic()
    with open(OUT, "w") as out:
        out.write("elapsed_s,rss_kib,requests,errors\n")
        while True:
            with lock:
                r, e = stats["requests"], stats["errors"]
            out.write(f"{time.monotonic() - t0:.1f},{rss_kib()},{r},{e}\n")
            out.flush()
            if time.monotonic() >= stop_at:
                break
            time.sleep(min(SAMPLE_S, max(0.0, stop_at - time.monotonic())))


random.seed(int(os.environ.get("SOAK_SEED", "20261207")))
threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
s = threading.Thread(target=sampler)
s.start()
for _ in range(PREFILL):
    c = http.client.HTTPConnection(HOST, PORT, timeout=120)
    method, path, body, headers = req_whatif_city()
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    r.read()
    c.close()
for t in threads:
    t.start()
for t in threads:
    t.join()
s.join()
print(json.dumps({"requests": stats["requests"], "errors": stats["errors"],
                  "error_kinds": dict(sorted(stats["error_kinds"].items(), key=lambda kv: -kv[1])[:8]),
                  "status": {str(k): v for k, v in sorted(stats["status"].items())}}))
