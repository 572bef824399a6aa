#!/usr/bin/env bash
# The profit dashboard's calls through the local runner's router, warm, for a year of a
# stand-in seller: p50/p99 per call and the items and KB each call reads from the store.
# Usage: bash infra/bench/profit.sh [ORDERS=100000] [ROUNDS=200]
#
# The seller's orders and transactions are stored through the sync's record code paths (the
# stand-in's API renderings → records::orders / records::transactions) and rolled up by
# recompute::rebuild, not synced through the stand-in's HTTP API (faster; same records).
#
# Measured 2026-11-29 (branch perf), 100,000 orders, one US marketplace, 40 SKUs, 200 rounds,
# on a shared 2-core machine under load (load average 4-6 from other builds: p99 is mostly
# scheduling noise; a tile reading 8 items has p50 0.7 ms and p99 up to 7 ms):
#   call                 p50 ms  p99 ms  items read  KB read
#   tile today             0.68    5.92           8      3.0
#   tile yesterday         0.69    7.18           8      3.1
#   tile 7 days            0.87    5.20          10      4.2
#   tile 14 days           1.10    4.81          13      6.1
#   tile 30 days           1.06    6.07          14      6.8
#   by product 30 days     3.31   15.99          14     29.2
#   chart 12 months        0.80    2.60          19     10.9
#   P&L 13 periods         1.91    6.55          20     11.4
# Re-run on a quiet machine after the merge (same data, 200 rounds): every call's p99 is at most
# 3.24 ms (tiles 0.83-1.16, by product 2.99, chart 1.48, P&L 3.24) and reads at most 29.2 KB.
# Before the coarser blocks (daily rows only), same data: chart 66 items / 39 KB, P&L 67 / 40
# KB, by product 30 days read one row per SKU and day. Every call reads <= 64 KB.
# Recompute after one order changes (OrdersChanged for a day of 324 orders; it recomputes that
# order-date day and the order-date view of its shipments' 2 posted days):
#   each order looked up in the order index (before): 1,099 store calls, 4,612 items / 9.4 MB
#   one query of the day's shipment links (after):      128 store calls, 6,517 items / 9.6 MB
#   (items are more: the links themselves, ~650 small items a day; bytes are the orders and
#   transactions the day is recomputed from.) 6 items written either way. Rolling one day's
#   blocks (10 levels and its month, both halves re-read after each write): 25 calls, 189
#   items / 310 KB read per view.
set -euo pipefail
cd "$(dirname "$0")/../.."
ORDERS="${1:-${ORDERS:-100000}}"
ROUNDS="${2:-${ROUNDS:-200}}"
exec cargo run --profile bench-run -p beddora-local --example profit_bench -- "$ORDERS" "$ROUNDS"
