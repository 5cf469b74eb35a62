#!/usr/bin/env bash
# No secret in any log (issue 15, item 3). Runs last: scripts/test.sh runs scripts/test.d/*.sh
# in glob (name) order, and the `zz-` prefix sorts after every other step, the unnumbered
# durability.sh and e2e.sh included (it checks this below). Every log the suite wrote is under
# $TEST_LOG_DIR (scripts/lib.sh: the cargo test output, the servers started by the test.d
# steps and by the CLI tests, PostgreSQL, nginx, Schemathesis); every secret the suite created
# (receipt tokens and codes, officer and admin tokens, idempotency keys, webhook secrets, SMTP
# passwords, reporters' e-mail addresses and phone numbers) was appended to $SECRETS_FILE, one
# per line, by the test that created it (`record_secret` in shell, NUANXIN_TEST_SECRETS in
# Rust and node). This step fails naming the file and line of every log line holding one.
# Secrets shorter than 12 characters (6-character receipt codes, phone numbers) count only
# as a whole word, so that they are not found inside unrelated ids; shorter than 6 are ignored.
# Before the real check it plants a secret in a throw-away log and makes sure it is found.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

scan() { # LOG_DIR SECRETS_FILE: exit 1 and one line per hit when a secret is in a log
  python3 - "$1" "$2" <<'PY'
import os, re, subprocess, sys, tempfile
log_dir, secrets_file = sys.argv[1], sys.argv[2]
try:
    with open(secrets_file, encoding="utf-8", errors="replace") as f:
        secrets = sorted({s.strip() for s in f if len(s.strip()) >= 6})
except FileNotFoundError:
    secrets = []
def pattern(s):
    e = re.escape(s)
    return rf"(?<![0-9A-Za-z_]){e}(?![0-9A-Za-z_])" if len(s) < 12 else e
hits, files = 0, 0
if secrets:
    rx = re.compile("|".join(pattern(s) for s in secrets))
    index = {s: i + 1 for i, s in enumerate(secrets)}
    skip = os.path.realpath(secrets_file)
    logs = []
    for root, _, names in os.walk(log_dir):
        for name in sorted(names):
            path = os.path.join(root, name)
            if os.path.realpath(path) != skip:
                logs.append(path)
    files = len(logs)
    # GNU grep's fixed-string search (Aho-Corasick/Commentz-Walter) finds the few lines that
    # hold any secret as a substring in seconds; the exact rule (whole words for short
    # secrets) is then applied to those lines only. The alternation of ~5 000 secrets with
    # lookarounds took about 2 minutes over every line of the logs.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt") as pat:
        pat.write("".join(s + "\n" for s in secrets))
        pat.flush()
        out = subprocess.run(
            ["grep", "-a", "-n", "-H", "-Z", "-F", "-f", pat.name, "--", *logs],
            capture_output=True,
        ) if logs else None
    if out is not None and out.returncode > 1:
        sys.exit(f"secret grep: grep failed: {out.stderr.decode(errors='replace')}")
    for rec in (out.stdout.split(b"\n") if out is not None else []):
        if not rec:
            continue
        path, _, rest = rec.partition(b"\0")
        n, _, line = rest.partition(b":")
        for m in rx.finditer(line.decode("utf-8", errors="replace")):
            s = m.group(0)
            hits += 1
            # never print the secret itself: its number in the list, its start
            print(f"{path.decode(errors='replace')}:{int(n)}: secret #{index.get(s, '?')} ({s[:4]}…, {len(s)} chars)")
print(f"secret grep: {len(secrets)} secrets, {files} log files under {log_dir}, {hits} hits")
sys.exit(1 if hits else 0)
PY
}

# Self-check: a planted secret (and a short code as a word) must be found, by file and line;
# the same code inside a longer id must not.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
printf 'nxo_planted0123456789abcdef\nK7P2QM\n' >"$check/secrets.txt"
printf 'GET /healthz 200\nGET /api/v1/suggestions?token=nxo_planted0123456789abcdef 200\nid sg-K7P2QMX9 ok\nlookup code=K7P2QM\n' >"$check/server.log"
if out=$(scan "$check" "$check/secrets.txt"); then
  echo "zz-secret-grep: the self-check found no planted secret:"; echo "$out"; exit 1
fi
grep -q "server.log:2: secret #2" <<<"$out" && grep -q "server.log:4: secret #1" <<<"$out" &&
  ! grep -q "server.log:3:" <<<"$out" ||
  { echo "zz-secret-grep: the self-check reported the wrong lines:"; echo "$out"; exit 1; }

# This step must be the last one so that it sees the logs of every other step.
last=""; for f in "$ROOT"/scripts/test.d/*.sh; do last=$(basename "$f"); done
[ "$last" = "$(basename "$0")" ] ||
  { echo "zz-secret-grep: $last runs after this step, so its logs are not checked; rename one of them"; exit 1; }
# Under scripts/test.sh the durability and browser steps ran before: say when their logs are missing.
for expected in durability e2e-server.log; do
  [ -e "$TEST_LOG_DIR/$expected" ] || echo "zz-secret-grep: note: no $TEST_LOG_DIR/$expected (did durability.sh / e2e.sh run?)"
done

[ -s "$SECRETS_FILE" ] || echo "zz-secret-grep: no secret was recorded in $SECRETS_FILE (run the suite first)"
scan "$TEST_LOG_DIR" "$SECRETS_FILE"
