#!/usr/bin/env bash
# The inventory screen's calls through the local runner's router, warm, for a seller with
# 5,000 SKUs and two years of orders: p50/p99 of GET /api/inventory and
# GET /api/inventory/forecast (reading the stored forecasts), and one run of the forecasts job
# (wall time, peak memory it adds). See infra/local/examples/inventory_bench.rs.
# Usage: bash infra/bench/inventory.sh [SKUS=5000] [ORDERS=300000] [ROUNDS=50]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run --profile bench-run -p beddora-local --example inventory_bench -- "${1:-5000}" "${2:-300000}" "${3:-50}"
