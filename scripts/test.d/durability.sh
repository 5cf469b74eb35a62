#!/usr/bin/env bash
# Durability trials (suggestions survive kill -9); see scripts/durability.sh.
set -euo pipefail
command -v python3 >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 >/dev/null
}
exec bash "$(dirname "$0")/../durability.sh" 3 6
