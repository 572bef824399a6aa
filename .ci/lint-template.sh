#!/usr/bin/env bash
# Lints template.yaml with cfn-lint and `sam validate --lint`, offline.
# Needs only python3 (with venv and pip): both tools are installed once, at pinned versions,
# into a private virtualenv (LINT_VENV, default ~/.cache/beddora/lint-venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TEMPLATE="${TEMPLATE:-template.yaml}"
LINT_VENV="${LINT_VENV:-$HOME/.cache/beddora/lint-venv}"
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"

if [[ ! -f "$TEMPLATE" ]]; then
  echo "lint-template: $TEMPLATE not found" >&2
  exit 1
fi

if [[ ! -x "$LINT_VENV/bin/python" ]]; then
  echo "lint-template: creating virtualenv at $LINT_VENV"
  mkdir -p "$(dirname "$LINT_VENV")"
  python3 -m venv "$LINT_VENV"
fi

py="$LINT_VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Prints "ok" when the named distribution is installed at exactly the wanted version.
has() {
  "$py" - "$1" "$2" <<'PY' 2>/dev/null
import sys
from importlib import metadata
try:
    print("ok" if metadata.version(sys.argv[1]) == sys.argv[2] else "")
except metadata.PackageNotFoundError:
    print("")
PY
}

if [[ "$(has cfn-lint "$CFN_LINT_VERSION")" != ok || "$(has aws-sam-cli "$SAM_CLI_VERSION")" != ok ]]; then
  echo "lint-template: installing cfn-lint $CFN_LINT_VERSION and aws-sam-cli $SAM_CLI_VERSION into $LINT_VENV"
  "$py" -m pip install --quiet --upgrade pip
  "$py" -m pip install --quiet "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
fi

# Neither tool calls AWS here, but the SDK underneath wants a region and credentials to exist.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="${AWS_REGION:-$AWS_DEFAULT_REGION}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export SAM_CLI_TELEMETRY=0

echo "lint-template: cfn-lint $TEMPLATE"
"$LINT_VENV/bin/cfn-lint" -- "$TEMPLATE"

echo "lint-template: sam validate --lint --template $TEMPLATE"
"$LINT_VENV/bin/sam" validate --lint --template "$TEMPLATE"

echo "lint-template: ok"
