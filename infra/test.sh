#!/usr/bin/env bash
# The one test command: installs moto (the AWS emulator) into a private virtualenv, starts it
# on a free loopback port, runs every test of the workspace against it and the embedded
# adapters, and stops it again. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source infra/moto.sh
moto_start
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT

export BEDDORA_TEST_AWS_ENDPOINT="$MOTO_ENDPOINT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
echo "test: moto on $BEDDORA_TEST_AWS_ENDPOINT"
# nextest (on this project's machines) reports one summary for the whole run; cargo test
# is the fallback anywhere else.
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace "$@"
fi
