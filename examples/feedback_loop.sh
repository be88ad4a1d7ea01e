#!/usr/bin/env bash
# The feedback loop on the example repo (docs/feedback.md): serve churn_model, log what was
# served, record outcomes as a source, build a retraining set from the log and the outcomes, and
# reproduce a served response from the offline store — then let an order arrive late and see
# `reproduce` and `skew` name it. Needs build/featherstone (scripts/quickstart builds it).
#
#   examples/feedback_loop.sh [DIR]      # DIR: where to create the repo (default: a temp folder)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FST="${FST_BIN:-$REPO_ROOT/build/featherstone}"
[[ -x "$FST" ]] || { echo "no $FST: run scripts/quickstart first"; exit 1; }
BASE="${1:-$(mktemp -d -t featherstone-feedback.XXXXXX)}"
SHOP="$BASE/shop"
SERVER_PID=""
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true' EXIT

step() {
  echo
  echo "==> $1"
  shift
  "$FST" -C "$SHOP" "$@"
}

"$FST" init "$SHOP" >/dev/null
# Outcomes are a source like any other; request_id ties an outcome to the response it judges.
# The source list ends right before feature_views: insert the outcome source there.
python3 - "$SHOP/featherstone.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
outcomes = """  - name: churn_outcomes
    kind: file
    format: csv
    timestamp_field: outcome_ts
    description: Whether a scored customer churned, reported after the prediction
    schema:
      - {name: customer_id, type: int64}
      - {name: request_id, type: string}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}

"""
at = text.index("\nfeature_views:") + 1
open(path, "w").write(text[:at] + outcomes + text[at:])
PY
step "apply (with the outcome source churn_outcomes)" apply
"$FST" -C "$SHOP" ingest orders "$SHOP/data/orders.csv" >/dev/null
step "materialize --end now" materialize --end "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo
echo "==> serve (port chosen by the system) and score three customers"
"$FST" -C "$SHOP" serve --port 0 2>"$BASE/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q "serving" "$BASE/serve.log" 2>/dev/null && break
  sleep 0.1
done
PORT="$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$BASE/serve.log" | head -n 1)"
[[ -n "$PORT" ]] || { cat "$BASE/serve.log"; exit 1; }
python3 - "$PORT" "$BASE/request_ids.txt" <<'PY'
import json, sys, urllib.request
port, out = sys.argv[1], sys.argv[2]
ids = []
for customers in ([42, 7], [13], [42]):
    body = json.dumps({"feature_service": "churn_model",
                       "entities": {"customer_id": customers}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/get-online-features", data=body,
                                 headers={"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(req, timeout=10))
    ids.append(answer["request_id"])
    print(f"  customers {customers}: request_id {answer['request_id']}")
open(out, "w").write("\n".join(ids) + "\n")
PY
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""
mapfile -t IDS <"$BASE/request_ids.txt"

echo
echo "==> outcomes arrive: data/outcomes.csv"
LATER="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
{
  echo "customer_id,request_id,churned,outcome_ts"
  echo "42,${IDS[0]},false,$LATER"
  echo "7,${IDS[0]},true,$LATER"
  echo "13,${IDS[1]},false,$LATER"
} >"$SHOP/data/outcomes.csv"
cat "$SHOP/data/outcomes.csv"
"$FST" -C "$SHOP" ingest churn_outcomes "$SHOP/data/outcomes.csv" >/dev/null

step "training-set --service churn_model --labels churn_outcomes" training-set \
  --service churn_model --labels churn_outcomes --out "$SHOP/retrain.csv"
cat "$SHOP/retrain.csv"

step "reproduce --request-id ${IDS[0]}" reproduce --request-id "${IDS[0]}"

echo
echo "==> an order of customer 42 from before the request arrives late"
NOW_TS="$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)"
printf 'customer_id,order_id,amount,status,items,event_ts,created_ts\n42,late-1,999.0,paid,1,%s,%s\n' \
  "$NOW_TS" "$NOW_TS" >"$SHOP/data/late.csv"
"$FST" -C "$SHOP" ingest orders "$SHOP/data/late.csv" >/dev/null
step "reproduce --request-id ${IDS[0]} (exit 1: skew)" reproduce --request-id "${IDS[0]}" || true
step "skew --service churn_model" skew --service churn_model

echo
echo "The repo is at $SHOP (docs/feedback.md explains every step)."
