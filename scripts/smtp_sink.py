"""A local SMTP server for tests (aiosmtpd): every message it accepts is decoded with the
standard library's MIME parser and written to DIR as one JSON file
{"to": [...], "from": ..., "subject": ..., "message_id": ..., "body": <the text/plain part>}.

Usage: python smtp_sink.py PORT DIR   (runs until killed; loopback only)
"""

import email
import email.policy
import json
import os
import sys
import time

from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        m = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = m.get_body(preferencelist=("plain",))
        rec = {
            "to": list(envelope.rcpt_tos),
            "from": str(m["From"]),
            "subject": str(m["Subject"]),
            "message_id": str(m["Message-ID"]),
            "body": part.get_content() if part is not None else "",
        }
        name = os.path.join(out, f"{time.time_ns()}.json")
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False)
        os.rename(name + ".tmp", name)
        return "250 OK"


c = Controller(Sink(), hostname="127.0.0.1", port=port)
c.start()
print(f"smtp sink on 127.0.0.1:{port} writing to {out}", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
