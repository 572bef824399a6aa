#!/usr/bin/env bash
# Benchmarks for the foundation (not tests): release binary sizes, cold start of each function
# (api-auth, api-accounts, api-amazon, job-sync-dispatch; api-amazon's sample event carries an
# unfilled token placeholder, so it measures init plus a 401) beside two baselines (a hello-world lambda_runtime binary, and one that builds the same SDK
# clients and reads one secret from the same emulator), and login/me latency through the local
# runner (LATENCY=0 skips it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
source infra/moto.sh
# The Lambdas on their own, as they ship (building them with the local runner would unify the
# embedded features into them); the runner is built after the cold starts.
cargo build --release -p api-auth -p api-accounts -p api-amazon -p job-sync-dispatch -p bench-hello -p bench-sdk
bin="$CARGO_TARGET_DIR/release"
moto_start
data=$(mktemp -d)
trap 'kill $MOTO_PID ${local_pid:-} 2>/dev/null || true; rm -rf "$data"' EXIT
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
sync_queue_url=$("$MOTO_VENV/bin/python" - <<'PY'
import boto3, json
ddb = boto3.client("dynamodb"); sm = boto3.client("secretsmanager")
# The template's key schema, GSIs included (the dispatcher queries gsi1).
keys = lambda h, r: [{"AttributeName": h, "KeyType": "HASH"}, {"AttributeName": r, "KeyType": "RANGE"}]
ddb.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")],
    KeySchema=keys("pk", "sk"),
    GlobalSecondaryIndexes=[{"IndexName": i, "KeySchema": keys(i + "pk", i + "sk"), "Projection": {"ProjectionType": "ALL"}} for i in ("gsi1", "gsi2")])
sm.create_secret(Name="beddora/bench/app", SecretString=json.dumps({"jwtSigningKey": "k" * 64, "smtpUrl": ""}))
print(boto3.client("sqs").create_queue(QueueName="bench-sync")["QueueUrl"])
PY
)
export TABLE_NAME=bench APP_SECRET_NAME=beddora/bench/app CORS_ORIGINS=http://localhost:5100 FRONTEND_URL=http://localhost:5100 MAIL_FROM=bench@example.com
export SYNC_QUEUE_URL="$sync_queue_url"
python3 infra/bench/cold_start.py "${RUNS:-20}" \
  hello="$bin/bench-hello:-" \
  sdk="$bin/bench-sdk:-" \
  api-auth="$bin/api-auth:events/api-auth/health.json" \
  api-accounts="$bin/api-accounts:events/api-accounts/marketplaces-list.json" \
  api-amazon="$bin/api-amazon:events/api-amazon/oauth-status.json" \
  job-sync-dispatch="$bin/job-sync-dispatch:events/job-sync-dispatch/tick.json"
[[ "${LATENCY:-1}" == 0 ]] && exit 0
cargo build --release -p beddora-local
PORT=3099 DATA_DIR="$data" "$bin/beddora-local" >/dev/null 2>&1 &
local_pid=$!
sleep 1
OUTBOX="$data/outbox.log" python3 infra/bench/latency.py http://127.0.0.1:3099 "${LOGINS:-200}" "${MES:-2000}"
