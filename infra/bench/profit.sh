#!/usr/bin/env bash
# The profit dashboard's calls through the local runner's router, warm, for a year of a
# stand-in seller: p50/p99 per call and the items and KB each call reads from the store.
# Usage: bash infra/bench/profit.sh [ORDERS=100000] [ROUNDS=200]
set -euo pipefail
cd "$(dirname "$0")/../.."
ORDERS="${1:-${ORDERS:-100000}}"
ROUNDS="${2:-${ROUNDS:-200}}"
exec cargo run --profile bench-run -p beddora-local --example profit_bench -- "$ORDERS" "$ROUNDS"
