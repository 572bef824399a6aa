#!/usr/bin/env bash
# The forecast benchmark (not a test): the backtest on generated two-year demand (train on 21
# months, forecast 3; MAPE and bias per SKU class beside the naive 30-day velocity) and one
# recompute of forecast + restock plan for SKUS (default 5,000) SKUs with two years of daily
# history: wall time and peak memory (VmHWM, and /usr/bin/time's maximum RSS of the whole run).
# See infra/amazon-stand-in/examples/forecast_bench.rs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cargo build --profile bench-run -p amazon-stand-in --example forecast_bench
bin=$(ls -t "${CARGO_TARGET_DIR:-/work/target}"/bench-run/examples/forecast_bench /work/target2/bench-run/examples/forecast_bench 2>/dev/null | head -1)
/usr/bin/time -f "whole run: %e s wall, max RSS %M kB" "$bin"
