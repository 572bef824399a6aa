#!/usr/bin/env bash
# The one test command: installs moto (the AWS emulator) into a private virtualenv, starts it
# on a free loopback port, runs every test of the workspace against it and the embedded
# adapters, and stops it again. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MOTO_VENV="${MOTO_VENV:-$HOME/.cache/beddora/moto-venv}"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"
if [[ ! -x "$MOTO_VENV/bin/moto_server" ]] || ! "$MOTO_VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  echo "test: installing moto[server]==$MOTO_VERSION into $MOTO_VENV"
  mkdir -p "$(dirname "$MOTO_VENV")"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

port=$("$MOTO_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="${TMPDIR:-/tmp}/beddora-moto-$port.log"
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$MOTO_VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then break; fi
  if ! kill -0 $moto_pid 2>/dev/null; then echo "test: moto failed to start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

export BEDDORA_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
echo "test: moto on $BEDDORA_TEST_AWS_ENDPOINT"
# nextest (on this project's machines) reports one summary for the whole run; cargo test
# is the fallback anywhere else.
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace "$@"
fi
