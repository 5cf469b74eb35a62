#!/usr/bin/env bash
# The page's contract with the API, checked without a browser:
#  1. web/types/openapi.d.ts is what openapi-typescript (pinned) generates from the server's
#     /api/openapi.json today (scripts/web-types.sh); a change of the API that is not
#     regenerated and committed fails here;
#  2. every web/*.js starts with `// @ts-check` and `tsc --noEmit` (TypeScript, pinned)
#     finds no error in them (tests/web/tsconfig.json for the page, tsconfig.sw.json for the
#     service worker), with the generated API types and MapLibre's own declarations.
set -euo pipefail
source "$(dirname "$0")/../lib/web-tools.sh"
cd "$web_root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "web types: regenerating web/types/openapi.d.ts"
bash scripts/web-types.sh "$tmp/openapi.d.ts" >/dev/null
if ! diff -u web/types/openapi.d.ts "$tmp/openapi.d.ts" >"$tmp/drift.diff"; then
  head -n 60 "$tmp/drift.diff"
  echo "web/types/openapi.d.ts differs from the API (diff above): run scripts/web-types.sh and commit web/types/openapi.d.ts"
  exit 1
fi

missing=$(for f in web/*.js; do head -n 1 "$f" | grep -qx '// @ts-check' || echo "$f"; done)
if [ -n "$missing" ]; then
  echo "files without // @ts-check on their first line:"; echo "$missing"; exit 1
fi
echo "web types: tsc --noEmit"
(cd "$web_tools" && node_modules/.bin/tsc --noEmit -p tsconfig.json && node_modules/.bin/tsc --noEmit -p tsconfig.sw.json)
echo "web types: no drift, no type error in $(ls web/*.js | wc -l) files"
