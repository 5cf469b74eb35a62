#!/usr/bin/env bash
# Failover trials of the multi-server mode, short version (about a minute): PostgreSQL with a
# synchronous standby, two servers behind nginx, kill -9 of a server and of the primary under
# load; 0 lost and 0 duplicated acknowledged suggestions (scripts/failover.sh; the long
# version is `scripts/failover.sh --long`, run by `scripts/bench-cluster.sh --failover-long`).
set -euo pipefail
exec bash "$(dirname "$0")/../failover.sh"
