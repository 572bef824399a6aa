#!/usr/bin/env bash
# Sourced by infra/test.sh and infra/bench/run.sh: installs moto[server] (pinned) into a
# private virtualenv and starts it on a free loopback port. Sets MOTO_ENDPOINT and MOTO_PID.
MOTO_VENV="${MOTO_VENV:-$HOME/.cache/beddora/moto-venv}"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"

moto_start() {
  if [[ ! -x "$MOTO_VENV/bin/moto_server" ]] || ! "$MOTO_VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    echo "moto: installing moto[server]==$MOTO_VERSION into $MOTO_VENV"
    mkdir -p "$(dirname "$MOTO_VENV")"
    python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  local port log
  port=$("$MOTO_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log="${TMPDIR:-/tmp}/beddora-moto-$port.log"
  "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if "$MOTO_VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('$MOTO_ENDPOINT/moto-api/')" 2>/dev/null; then return 0; fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then echo "moto failed to start:" >&2; cat "$log" >&2; return 1; fi
    sleep 0.1
  done
  echo "moto did not answer on $MOTO_ENDPOINT" >&2
  return 1
}
