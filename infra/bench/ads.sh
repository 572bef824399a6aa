#!/usr/bin/env bash
# The Ads backfill benchmark (not a test): an advertiser of CAMPAIGNS campaigns (default 500)
# and KEYWORDS keywords (default 50,000) on the stand-in's virtual clock. Prints the simulated
# time of the entities sync and of the 95-day report backfill beside the floor Amazon's limits
# allow, calls per operation, then p50/p99 of the PPC metrics calls through the local runner's
# router for that account (ROUNDS each, default 20; KEYWORD_ROUNDS for the keyword-level calls,
# 0 to leave them out), and peak memory: the process's (VmHWM) and the largest step's, once
# with rows stored and once more with every row dropped after decoding (WORKER_PEAK=0 skips
# that second backfill). See infra/local/examples/ads_bench.rs.
# Run it under a memory cap, e.g.:
#   (ulimit -v 14000000; CAMPAIGNS=500 KEYWORDS=50000 ROUNDS=20 bash infra/bench/ads.sh)
# At full scale the bench's store file (report rows of the last 32 days, in the temp dir) is
# about 6.5 GB while it runs.
# ADS_DAYS (default 100) is the days of ad history the stand-in holds (the calls read the
# last 30 days).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec cargo run --profile bench-run -p beddora-local --example ads_bench
