# Sourced by scripts/web-types.sh and scripts/test.d/15-web-*.sh: makes sure Node, npm and the
# pinned checking tools of the page (tests/web/package.json: typescript, openapi-typescript,
# jsdom and maplibre-gl's type declarations) are installed. Sets $web_tools (tests/web).
web_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
web_tools="$web_root/tests/web"

need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# npm ci when the installed tools are not those package-lock.json pins
if ! cmp -s "$web_tools/package-lock.json" "$web_tools/node_modules/.package-lock.json.ci" 2>/dev/null; then
  (cd "$web_tools" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$web_tools/package-lock.json" "$web_tools/node_modules/.package-lock.json.ci"
fi
