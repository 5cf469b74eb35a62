#!/usr/bin/env bash
# Unit tests of the page's modules (web/api.js, web/ui.js, web/i18n.js, web/offline.js) with `node --test`
# under jsdom (pinned in tests/web/package.json): no browser, no server (api.js is tested
# against a node:http server on loopback).
set -euo pipefail
source "$(dirname "$0")/../lib/web-tools.sh"
cd "$web_tools"
node --test --test-reporter=spec ./*.test.mjs
