#!/usr/bin/env python3
"""Concurrent submitters and the checker of scripts/failover.sh (standard library only).

  failover_client.py submit BASE WORKERS SECONDS ACKS STATS LABEL
      WORKERS threads each file suggestions through BASE (nginx) for SECONDS seconds, every one
      a multipart POST /api/v1/suggestions with a small PNG photo unique to it and a fresh
      `Idempotency-Key` (a UUID). A connection error, a timeout or a 5xx is retried with the
      SAME key and body (back-off 0.1 s doubling to 1 s, for up to 60 s): the server stores a
      keyed submission once and answers a repeat with the original 201, so a retry after a
      lost answer cannot duplicate. Every 201 is appended to ACKS as one JSON line:
      id, receipt token, idempotency key, description, SHA-256 of the photo sent, time.
      One more thread reads GET /api/v1/nearest (served from memory) all along.
      STATS gets one JSON object: attempts, acknowledged, retries, replays, reads and failed
      reads, and the longest time without any 201 (seconds without service).

  failover_client.py verify BASE ACKS ROWS
      ROWS: `id<TAB>description<TAB>photo sha256` of every stored suggestion of the trial (the
      script reads them from PostgreSQL with psql). Checks that every acknowledged suggestion
      is stored exactly once with the photo that was sent (hash in the database and, through
      the API with the receipt token, the photo served), and that no submission is stored
      twice. Prints one JSON object (acknowledged, lost, duplicated, photo_mismatch) and exits 1
      on any loss, duplicate or mismatch.

  failover_client.py propagate BASE_A BASE_B TOKEN POINT_ID
      PUTs a station through server A (admin TOKEN) and prints the milliseconds until server B
      answers it from its own index; exits 1 after 10 s.
"""
import hashlib
import http.client
import json
import random
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import zlib

CATEGORIES = ["entry_access", "parking", "supplies", "rest", "safety_hazard"]


def png(seed):
    """A small valid PNG (IHDR, IDAT, IEND only: nothing the server strips) unique to `seed`."""
    rng = random.Random(seed)
    w, h = rng.randint(4, 24), rng.randint(4, 24)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(w * 3)) for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(fields, photo):
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\n'
                  'Content-Type: image/png\r\n\r\n').encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class Conn:
    """One keep-alive HTTP connection, reopened after any error."""

    def __init__(self, base, timeout=10):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout, self.c = u.hostname, u.port, timeout, None

    def request(self, method, path, body=None, headers=None):
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.c.request(method, path, body=body, headers=headers or {})
            r = self.c.getresponse()
            data = r.read()
            if r.getheader("connection", "").lower() == "close":
                self.close()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


def submit(base, workers, seconds, acks_path, stats_path, label):
    lock = threading.Lock()
    acks = open(acks_path, "a", encoding="utf-8")
    stats = {"attempts": 0, "acknowledged": 0, "retries": 0, "replays": 0, "gave_up": 0,
             "rejected": 0, "reads": 0, "failed_reads": 0}
    ack_times = []
    start = time.monotonic()
    deadline = start + seconds

    def note(**kw):
        with lock:
            for k, v in kw.items():
                stats[k] += v

    def worker(w):
        conn = Conn(base)
        i = 0
        while time.monotonic() < deadline:
            i += 1
            tag = uuid.uuid4().hex[:12]
            desc = f"failover {label} w{w} #{i} 骑手建议 {tag}"
            photo = png(f"{label}/{w}/{i}/{tag}")
            key = str(uuid.uuid4())
            fields = {"location": f"{113.03 + random.uniform(-0.02, 0.02):.6f},{28.20 + random.uniform(-0.01, 0.01):.6f}",
                      "category": random.choice(CATEGORIES), "description": desc}
            ctype, body = multipart(fields, photo)
            headers = {"Content-Type": ctype, "Idempotency-Key": key}
            backoff, given_up_at = 0.1, time.monotonic() + 60
            while True:
                note(attempts=1)
                try:
                    status, h, data = conn.request("POST", "/api/v1/suggestions", body, headers)
                except Exception:
                    status, h, data = None, {}, b""
                if status == 201:
                    rec = json.loads(data)
                    now = time.monotonic()
                    line = json.dumps({"id": rec["id"], "receipt": rec["receipt_token"], "key": key,
                                       "description": desc, "photo_sha256": hashlib.sha256(photo).hexdigest(),
                                       "t": round(now - start, 3)}, ensure_ascii=False)
                    with lock:
                        acks.write(line + "\n")
                        acks.flush()
                        ack_times.append(now)
                    note(acknowledged=1, replays=1 if h.get("idempotent-replayed") == "true" else 0)
                    break
                if status is not None and 400 <= status < 500 and status not in (408, 429):
                    note(rejected=1)
                    print(f"rejected {status}: {data[:300]!r}", file=sys.stderr)
                    break
                if time.monotonic() > given_up_at:
                    note(gave_up=1)
                    break
                note(retries=1)
                time.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    def reader():
        conn = Conn(base, timeout=5)
        while time.monotonic() < deadline:
            lon, lat = 113.0 + random.uniform(-0.05, 0.05), 28.2 + random.uniform(-0.05, 0.05)
            try:
                status, _, _ = conn.request("GET", f"/api/v1/nearest?lon={lon:.6f}&lat={lat:.6f}&k=3")
            except Exception:
                status = None
            note(reads=1, failed_reads=0 if status == 200 else 1)
            time.sleep(0.02)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = [start] + sorted(ack_times) + [max(time.monotonic(), deadline)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    stats["longest_without_201_s"] = round(max(gaps), 2)
    stats["seconds"] = round(time.monotonic() - start, 1)
    json.dump(stats, open(stats_path, "w"))



def verify(base, acks_path, rows_path):
    acked = [json.loads(l) for l in open(acks_path, encoding="utf-8") if l.strip()]
    stored = {}
    by_desc = {}
    for line in open(rows_path, encoding="utf-8"):
        if not line.strip():
            continue
        sid, desc, sha = line.rstrip("\n").split("\t")
        stored[sid] = (desc, sha)
        by_desc.setdefault(desc, []).append(sid)
    lost, mismatch, problems = 0, 0, []
    conn = Conn(base)
    for a in acked:
        row = stored.get(a["id"])
        if row is None or row[0] != a["description"]:
            lost += 1
            problems.append(f"LOST {a['id']} {a['description']}")
            continue
        served = None
        try:
            status, _, data = conn.request("GET", f"/api/v1/suggestions/{a['id']}/photo",
                                           headers={"X-Receipt-Token": a["receipt"]})
            served = hashlib.sha256(data).hexdigest() if status == 200 else f"HTTP {status}"
        except Exception as e:
            served = f"error {e}"
        if row[1] != a["photo_sha256"] or served != a["photo_sha256"]:
            mismatch += 1
            problems.append(f"PHOTO {a['id']}: sent {a['photo_sha256']}, stored {row[1]}, served {served}")
    duplicated = sum(len(ids) - 1 for ids in by_desc.values() if len(ids) > 1)
    for desc, ids in by_desc.items():
        if len(ids) > 1:
            problems.append(f"DUPLICATE {desc}: {ids}")
    ids = [a["id"] for a in acked]
    acked_twice = len(ids) - len(set(ids))
    if acked_twice:
        problems.append(f"{acked_twice} ids acknowledged to two submissions")
    out = {"acknowledged": len(acked), "stored": len(stored), "lost": lost,
           "duplicated": duplicated + acked_twice, "photo_mismatch": mismatch}
    for p in problems[:20]:
        print("  " + p, file=sys.stderr)
    print(json.dumps(out))
    sys.exit(1 if lost or duplicated or acked_twice or mismatch else 0)


def propagate(base_a, base_b, token, point_id):
    """PUT a station through server A, then poll server B until it answers it: prints the
    milliseconds it took (the LISTEN/NOTIFY path, after the trial's fault); exits 1 if B has
    not answered it within 10 s."""
    lon = 112.95 + random.uniform(0, 0.05)
    body = json.dumps({"kind": "station", "name": f"故障演练 {point_id}", "location": [round(lon, 6), 28.2]})
    a, b = Conn(base_a), Conn(base_b)
    status, _, data = a.request("PUT", f"/api/v1/admin/points/{point_id}", body.encode(),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    if status not in (200, 201):
        sys.exit(f"PUT through {base_a}: HTTP {status} {data[:200]!r}")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        status, _, data = b.request("GET", f"/api/v1/points/{point_id}")
        if status == 200 and json.loads(data)["geometry"]["coordinates"][0] == round(lon, 6):
            print(round((time.monotonic() - t0) * 1000))
            return
        time.sleep(0.005)
    sys.exit(f"{base_b} did not answer {point_id} within 10 s")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "submit":
        submit(args[0], int(args[1]), float(args[2]), args[3], args[4], args[5])
    elif cmd == "verify":
        verify(args[0], args[1], args[2])
    elif cmd == "propagate":
        propagate(args[0], args[1], args[2], args[3])
    else:
        sys.exit(__doc__)
