"""Being told (issue 14): the notification outbox delivered to a real webhook receiver and a
real SMTP server, through `kill -9` of the server while deliveries are in flight.

Run by scripts/test.d/55-notify.sh (which provides aiosmtpd), on SQLite and on PostgreSQL:
    python notify_check.py BIN WORKDIR [DATABASE]   (default: a SQLite file in WORKDIR)

1. A webhook receiver (http.server, threaded) on a free loopback port records every request
   when it ARRIVES (before answering), then answers 200 — slowly during the kill phase,
   with 500 for the first two requests to /hook/answers, and nothing listens on the port of
   a third, dead webhook. An aiosmtpd server on another free port keeps every message.
2. `nuanxin serve` starts with three [[webhooks]], [smtp] (tls = none) and a short
   [outbox] schedule. Six residents submit suggestions with email addresses.
3. Phase 1: three are accepted; every row is delivered.
4. Phase 2: the receiver turns slow (2.5 s per request; the delivery timeout is 4 s, so
   the answers would come in time), three more are accepted and one is answered without a
   status change; as soon as the receiver has a request in hand the server is killed with
   SIGKILL, then restarted on the same database.
5. Checks: every event reached every webhook that wants it (0 lost: compared with the
   actions performed, not with the server's own records); requests of one event and
   webhook all carry the same Idempotency-Key and body (and there was at least one such
   duplicate: the in-flight ones); keys differ between events; every X-Nuanxin-Signature
   verifies (HMAC-SHA256 of the body computed here with hashlib/hmac); every email event
   reached its reporter, duplicates share the Message-ID, the text has the status, the
   answer, the department, the tracking id and the public link and no receipt code or
   token; the dead webhook's row is given up after max_attempts and shown by
   GET /api/v1/admin/outbox and /metrics, and POST …/retry requeues it; the server logs
   hold no email address, receipt token or code, webhook secret or officer token.
"""

import email
import email.policy
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

BIN, WORK = os.path.abspath(sys.argv[1]), sys.argv[2]
SECRET_A = "whsec-a-0123456789abcdef-test"
SECRET_B = "whsec-b-fedcba9876543210-test"
PUBLIC = "https://map.example.gov.cn"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ------------------------------------------------------------------ webhook receiver
received = []  # dicts, in arrival order
lock = threading.Lock()
state = {"slow": 0.0, "fail_answers": 2}


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        rec = {
            "path": self.path,
            "key": self.headers.get("Idempotency-Key"),
            "sig": self.headers.get("X-Nuanxin-Signature"),
            "ts": self.headers.get("X-Nuanxin-Timestamp"),
            "event": self.headers.get("X-Nuanxin-Event"),
            "body": body,
            "at": time.time(),
        }
        status = 200
        with lock:
            received.append(rec)
            if self.path == "/hook/answers" and state["fail_answers"] > 0:
                state["fail_answers"] -= 1
                status = 500
        if state["slow"]:
            time.sleep(state["slow"])
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


hook_port = free_port()
hook_server = ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
hook_server.daemon_threads = True
threading.Thread(target=hook_server.serve_forever, daemon=True).start()
dead_port = free_port()  # nothing listens here

# ------------------------------------------------------------------ SMTP server
mails = []


class Keep:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            mails.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


smtp_port = free_port()
smtp = Controller(Keep(), hostname="127.0.0.1", port=smtp_port)
smtp.start()

# ------------------------------------------------------------------ the server
db = sys.argv[3] if len(sys.argv) > 3 else os.path.join(WORK, "notify.db")
cfg = os.path.join(WORK, "nuanxin.toml")
with open(cfg, "w", encoding="utf-8") as f:
    f.write(f"""public_url = "{PUBLIC}"
departments = ["城管", "街道"]

[[webhooks]]
url = "http://127.0.0.1:{hook_port}/hook/all"
secret = "{SECRET_A}"

[[webhooks]]
url = "http://127.0.0.1:{hook_port}/hook/answers"
secret_env = "NX_TEST_HOOK_SECRET"
events = ["suggestion.answered"]

[[webhooks]]
url = "http://127.0.0.1:{dead_port}/hook/dead"
secret = "{SECRET_A}"
events = ["suggestion.answered"]

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "暖新地图 <noreply@example.gov.cn>"

[outbox]
max_attempts = 4
backoff_initial_s = 0.4
backoff_max_s = 1.5
timeout_s = 4
poll_ms = 100
""")

env = dict(os.environ, NX_TEST_HOOK_SECRET=SECRET_B, NUANXIN_RATE_LIMIT__ENABLED="false",
           NUANXIN_SUPPORT_RATE_LIMIT__ENABLED="false", RUST_LOG="info")
env.pop("NUANXIN_DB_PATH", None)
logs = []
server = {"proc": None, "base": None}


LOG_DIR = os.environ.get("NUANXIN_TEST_LOG_DIR") or WORK
os.makedirs(LOG_DIR, exist_ok=True)
RUN = f"notify-{'postgres' if db.startswith('postgres') else 'sqlite'}-{os.getpid()}"


def record_secrets(*values):
    """Appends secrets this test created to the suite's list (scripts/test.d/zz-secret-grep.sh)."""
    f = os.environ.get("NUANXIN_TEST_SECRETS")
    if f:
        with open(f, "a", encoding="utf-8") as out:
            out.writelines(f"{v}\n" for v in values if v and len(v) >= 6)


record_secrets(SECRET_A, SECRET_B)


def start():
    log = os.path.join(LOG_DIR, f"{RUN}-server{len(logs)}.log")
    logs.append(log)
    port = free_port()
    out = open(log, "w")
    p = subprocess.Popen([BIN, "serve", "--config", cfg, "--db", db, "--listen", f"127.0.0.1:{port}",
                          "--no-demo"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=WORK)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if p.poll() is not None:
            sys.exit("server exited early:\n" + open(log).read())
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2):
                break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("server did not become ready:\n" + open(log).read())
    server.update(proc=p, base=base)


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server["base"] + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw and r.headers.get_content_subtype() == "json" else raw.decode())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(what, pred, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.2)
    sys.exit(f"timed out waiting for {what}")


start()
tok = subprocess.run([BIN, "admin", "create-token", "--role", "admin", "--name", "测试管理员", "--db", db],
                     capture_output=True, text=True, env=env, check=True).stdout.strip().split()[-1]
record_secrets(tok)

subs = []
for i in range(6):
    st, r = call("POST", "/api/v1/suggestions", {
        "location": [112.9705 + i * 0.001, 28.1985], "category": "parking",
        "description": f"五一广场电动车没有地方停 #{i}", "contact": f"rider{i}.test@example.com"})
    assert st == 201, (st, r)
    subs.append({"id": r["id"], "token": r["receipt_token"], "code": r["receipt_code"],
                 "email": f"rider{i}.test@example.com"})
    record_secrets(r["receipt_token"], r["receipt_code"], f"rider{i}.test@example.com")
    assert r["id"] and r["receipt_code"]

actions = []  # (suggestion id, event, to, note): what was done, to compare with what arrived


def act(s, to, note, event):
    st, r = call("POST", f"/api/v1/suggestions/{s['id']}/status", {"status": to, "note": note}, tok)
    assert st == 200, (st, r)
    actions.append((s["id"], event, to, note))


def outbox():
    st, r = call("GET", "/api/v1/admin/outbox?limit=1000", token=tok)
    assert st == 200, (st, r)
    return r


st, r = call("POST", f"/api/v1/suggestions/{subs[0]['id']}/department", {"department": "城管"}, tok)
assert st == 200, (st, r)

# Phase 1: three accepted, all delivered.
for s in subs[:3]:
    act(s, "accepted", f"已受理，转城管处理 {s['id'][-6:]}", "suggestion.status_changed")
wait_for("phase 1 deliveries", lambda: outbox()["counts"]["pending"] == 0 and outbox()["counts"]["delivered"] == 6)

# Phase 2: a slow receiver; kill -9 while requests are in hand.
state["slow"] = 2.5
before = len(received)
for s in subs[3:]:
    act(s, "accepted", f"已受理 {s['id'][-6:]}", "suggestion.status_changed")
act(subs[0], "accepted", "城管已到现场查看，下周加装停车架", "suggestion.answered")
wait_for("a request in flight", lambda: len(received) > before, timeout=30)
time.sleep(0.3)
in_flight = len(received) - before
server["proc"].send_signal(signal.SIGKILL)
server["proc"].wait()
state["slow"] = 0.0
print(f"killed the server with {in_flight} webhook request(s) in flight")
start()
wait_for("every row delivered or given up after the restart",
         lambda: outbox()["counts"]["pending"] == 0, timeout=120)

# ------------------------------------------------------------------ checks: webhooks
with lock:
    got = list(received)
by_event = {}
for rec in got:
    secret = SECRET_B if rec["path"] == "/hook/answers" else SECRET_A
    want = "sha256=" + hmac.new(secret.encode(), rec["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(rec["sig"] or "", want), f"bad signature on {rec['path']}"
    assert abs(int(rec["ts"]) - rec["at"]) < 300, rec["ts"]
    p = json.loads(rec["body"])
    assert rec["event"] == p["event"]
    assert p["url"] == f"{PUBLIC}/#s/{p['suggestion']['id']}", p["url"]
    for s in subs:
        for secret_text in (s["token"], s["code"], s["email"]):
            assert secret_text not in rec["body"].decode(), "private data in a webhook body"
    by_event.setdefault((rec["path"], p["event_id"]), []).append(rec)

dups = 0
keys = set()
for (path, eid), recs in by_event.items():
    assert len({r["key"] for r in recs}) == 1, f"one event, several keys: {path} {eid}"
    assert len({r["body"] for r in recs}) == 1, f"one event, several bodies: {path} {eid}"
    dups += len(recs) - 1
    keys.add(recs[0]["key"])
assert len(keys) == len(by_event), "two events share a key"
assert dups >= 1, "no request was in flight when the server was killed"

def arrived(path):
    out = set()
    for (p, _), recs in by_event.items():
        if p == path:
            b = json.loads(recs[0]["body"])
            out.add((b["suggestion"]["id"], b["event"], b["change"]["to"], b["change"]["note"]))
    return out

want_all = set(actions)
want_answers = {a for a in actions if a[1] == "suggestion.answered"}
assert arrived("/hook/all") == want_all, (arrived("/hook/all") ^ want_all)
assert arrived("/hook/answers") == want_answers, arrived("/hook/answers")
answered = [r for r in got if r["path"] == "/hook/answers"]
assert len(answered) >= 3, "the answers hook failed twice (HTTP 500) and was retried"
dept = json.loads(by_event[[k for k in by_event if k[0] == "/hook/answers"][0]][0]["body"])
assert dept["change"]["department"] == "城管" and dept["suggestion"]["department"] == "城管", dept

# ------------------------------------------------------------------ checks: emails
with lock:
    got_mail = list(mails)
seen = {}
for rcpts, raw in got_mail:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",)).get_content()
    subject = str(m["Subject"])
    for s in subs:
        assert s["token"] not in body and s["code"] not in body and s["code"] not in subject
    seen.setdefault((rcpts[0], subject, body), set()).add(str(m["Message-ID"]))
for key, ids in seen.items():
    assert len(ids) == 1, f"one email sent twice with different Message-IDs: {key[1]}"
for sid, event, to, note in actions:
    s = next(x for x in subs if x["id"] == sid)
    hits = [k for k in seen if k[0] == s["email"] and note in k[2]]
    assert hits, f"no email to the reporter of {sid} for {event}"
    rcpt, subject, body = hits[0]
    assert sid in subject and sid in body and "已受理" in body, body
    assert f"{PUBLIC}/#s/{sid}" in body, body
    assert body.index("状态") < body.index("Status"), "Chinese first"
    if event == "suggestion.answered":
        assert "办理部门：城管" in body and "新答复" in subject, (subject, body)

# ------------------------------------------------------------------ checks: given up, admin, metrics
ob = outbox()
failed = [e for e in ob["entries"] if e["failed_at"]]
assert ob["counts"]["failed"] == 1 and len(failed) == 1, ob["counts"]
assert failed[0]["destination"].endswith("/hook/dead") and failed[0]["attempts"] == 4, failed[0]
emails = [e for e in ob["entries"] if e["channel"] == "email"]
assert emails and all("***@" in e["destination"] for e in emails), "admins see masked addresses"
st, metrics = call("GET", "/metrics")
assert 'nuanxin_outbox_rows{state="failed"} 1' in metrics, metrics[-2000:]
assert 'nuanxin_outbox_deliveries_total{channel="webhook",result="gave_up"}' in metrics
st, r = call("POST", f"/api/v1/admin/outbox/{failed[0]['seq']}/retry", {}, tok)
assert st == 200 and r["requeued"], (st, r)
assert outbox()["counts"]["failed"] == 0
st, r = call("POST", f"/api/v1/admin/outbox/{failed[0]['seq']}/retry", {}, tok)
assert st == 404, (st, r)

server["proc"].send_signal(signal.SIGTERM)
server["proc"].wait(timeout=30)
smtp.stop()

# ------------------------------------------------------------------ checks: logs
text = "".join(open(l, encoding="utf-8", errors="replace").read() for l in logs)
assert "outbox: delivered" in text, "the worker logs deliveries by sequence number"
for s in subs:
    for secret_text in (s["token"], s["code"], s["email"]):
        assert secret_text not in text, "private data in the server log"
for secret_text in (SECRET_A, SECRET_B, tok, "/hook/dead"):
    assert secret_text not in text, "a secret or webhook URL in the server log"

print(f"notify: {len(actions)} events, {len(got)} webhook requests ({dups} duplicate(s) after kill -9, "
      f"same keys), {len(got_mail)} emails, signatures verified, 1 given up and requeued, logs clean")
