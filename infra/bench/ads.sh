#!/usr/bin/env bash
# The Ads backfill benchmark (not a test): an advertiser of CAMPAIGNS campaigns (default 500)
# and KEYWORDS keywords (default 50,000) on the stand-in's virtual clock. Prints the simulated
# time of the entities sync and of the 95-day report backfill beside the floor Amazon's limits
# allow, calls per operation, then p50/p99 of the PPC metrics calls through the local runner's
# router for that account (ROUNDS each, default 20). See infra/local/examples/ads_bench.rs.
# ADS_DAYS (default 100) is the days of ad history the stand-in holds: fewer keep the embedded
# in-memory store inside the machine's memory at full scale (the calls read the last 30 days).
# Usage: CAMPAIGNS=500 KEYWORDS=50000 ROUNDS=20 bash infra/bench/ads.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec cargo run --profile bench-run -p beddora-local --example ads_bench
