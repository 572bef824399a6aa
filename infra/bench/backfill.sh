#!/usr/bin/env bash
# The backfill benchmark (not a test): a two-year seller of ORDERS orders (default 100,000)
# synced by the real worker and dispatcher against the stand-in on its virtual clock, WORKERS
# at a time (default 4). Prints simulated time beside the usage plans' minimum, the time until
# the last 30 days are complete, calls by operation, WCU per order, peak worker heap and
# Lambda invocations; then every registered dataset alone (EACH=0 skips it): simulated time
# beside its rate-limit minimum, calls per operation, WCU per record, peak heap of one step.
# See infra/bench-backfill/src/main.rs for how each is measured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec cargo run --profile bench-run -p bench-backfill
