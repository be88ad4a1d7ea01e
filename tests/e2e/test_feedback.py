"""The feedback loop end to end: `serve` logs what it answered, `reproduce` recomputes a logged
response from the offline store (equal, or each difference with its reason), `training-set`
joins the log with outcomes without label leakage."""
import datetime as dt
import json
import os
import subprocess

import pytest

import fst
from test_serve import SERVE_YAML, Server, lookup

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(minutes=1)

YAML = SERVE_YAML.replace("""\nfeature_views:""", """\n  - name: churn_outcomes
    kind: file
    format: csv
    timestamp_field: outcome_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: request_id, type: string}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}
  - name: churn_labels
    kind: file
    format: csv
    timestamp_field: outcome_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}
feature_views:""", 1)


def ago(**kw):
    return fst.iso(NOW - dt.timedelta(**kw))


@pytest.fixture
def served(tmp_path):
    """A repo with orders, materialized now, and three logged churn_model responses."""
    repo = fst.make_repo(tmp_path / "shop", YAML)
    orders = fst.write_csv(tmp_path / "orders.csv", fst.ORDERS_HEADER, [
        [1, "o1", 10.0, ago(days=2), ago(days=2)],
        [1, "o2", 20.0, ago(days=1), ago(days=1)],
        [2, "o3", 7.5, ago(days=5), ago(days=5)],
    ])
    fst.ingest(repo, "orders", orders)
    fst.run(["materialize", "--end", fst.iso(NOW)], repo)
    s = Server(repo)
    try:
        ids = [lookup(s, [1, 2, 99], feature_service="churn_model")["request_id"],
               lookup(s, [2], feature_service="churn_model")["request_id"],
               lookup(s, [1], feature_service="churn_model")["request_id"]]
    finally:
        assert s.stop() == 0
    return repo, ids, tmp_path


def test_a_served_response_is_reproduced(served):
    repo, ids, _ = served
    p = fst.run(["reproduce", "--request-id", ids[0]], repo)
    assert "reproduced: 6 features equal" in p.stdout, p.stdout
    assert "by service 'churn_model'" in p.stdout
    report = json.loads(fst.run(["reproduce", "--request-id", ids[0], "--json"], repo).stdout)
    assert report["equal"] is True and report["values"] == 6 and report["mismatches"] == []


def test_late_data_is_named_with_both_values(served):
    repo, ids, tmp = served
    late = fst.write_csv(tmp / "late.csv", fst.ORDERS_HEADER,
                         [[1, "o9", 555.0, ago(minutes=1), ago(minutes=1)]])
    fst.ingest(repo, "orders", late)
    p = fst.run(["reproduce", "--request-id", ids[0]], repo, ok=1)
    assert "skew: 2 of 6 values differ" in p.stdout, p.stdout
    assert "customer_id=1  amount: served 20.0, recomputed 555.0  late_data: ingest #" in p.stdout
    assert "late.csv" in p.stdout and "order_id: served \"o2\", recomputed \"o9\"" in p.stdout
    report = json.loads(fst.run(["reproduce", "--request-id", ids[0], "--json"], repo,
                                ok=1).stdout)
    assert {m["reason"] for m in report["mismatches"]} == {"late_data"}
    assert {m["feature"] for m in report["mismatches"]} == {"amount", "order_id"}
    # Customer 2's response is untouched by customer 1's late order.
    assert "reproduced: 2 features equal" in fst.run(["reproduce", "--request-id", ids[1]],
                                                     repo).stdout


def test_unknown_request_id(served):
    repo, _, _ = served
    p = fst.run(["reproduce", "--request-id", "nope"], repo, ok=1)
    assert p.stderr.startswith("error: no logged request 'nope' in "), p.stderr


def test_training_set_joins_outcomes_without_leakage(served):
    repo, ids, tmp = served
    later = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    outcomes = fst.write_csv(tmp / "outcomes.csv",
                             ["customer_id", "request_id", "churned", "outcome_ts"], [
        [1, ids[0], "true", fst.iso(later)],
        [2, ids[0], "false", ago(days=3)],           # before serving: never joined
        [2, ids[1], "true", fst.iso(later)],
        [1, ids[2], "false", fst.iso(later + dt.timedelta(hours=1))],
        [1, ids[2], "true", fst.iso(later)],         # the earlier outcome wins
    ])
    fst.ingest(repo, "churn_outcomes", outcomes)
    out = tmp / "train.csv"
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_outcomes",
                 "--out", out], repo)
    assert "wrote 3 rows" in p.stdout and "5 served rows" in p.stdout, p.stdout
    assert "joined by request_id" in p.stdout
    rows = fst.read_csv(out)
    assert list(rows[0]) == ["request_id", "served_at", "customer_id", "amount", "order_id",
                             "churned", "outcome_ts"]
    got = {(r["request_id"], r["customer_id"]): (r["churned"], r["amount"]) for r in rows}
    assert got == {(ids[0], "1"): ("true", "20"), (ids[1], "2"): ("true", "7.5"),
                   (ids[2], "1"): ("true", "20")}, rows

    labels = fst.write_csv(tmp / "labels.csv", ["customer_id", "churned", "outcome_ts"],
                           [[1, "true", fst.iso(later)], [2, "false", ago(days=3)]])
    fst.ingest(repo, "churn_labels", labels)
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_labels",
                 "--out", out], repo, ok=1)
    assert "needs a horizon" in p.stderr and "--horizon 30d" in p.stderr, p.stderr
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_labels",
                 "--horizon", "2h", "--recompute", "--out", out], repo)
    assert "joined by keys" in p.stdout and "recomputed" in p.stdout, p.stdout
    rows = fst.read_csv(out)
    assert sorted((r["request_id"], r["customer_id"]) for r in rows) == \
        sorted([(ids[0], "1"), (ids[2], "1")])
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_labels",
                 "--join", "request_id", "--out", out], repo, ok=1)
    assert "has no column 'request_id'" in p.stderr, p.stderr


def test_training_set_bad_input(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML)
    out = tmp_path / "t.csv"
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_outcomes",
                 "--out", out], repo, ok=1)
    assert "no logged request of service 'churn_model'" in p.stderr, p.stderr
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_outcome",
                 "--out", out], repo, ok=1)
    assert "unknown source 'churn_outcome'" in p.stderr, p.stderr
    p = fst.run(["training-set", "--service", "churn_model", "--labels", "churn_outcomes",
                 "--horizon", "soon", "--out", out], repo, ok=1)
    assert p.stderr.startswith("error: --horizon: "), p.stderr


def test_skew_counts_values_per_feature_and_reason(served):
    repo, ids, tmp = served
    report = json.loads(fst.run(["skew", "--service", "churn_model", "--json"], repo).stdout)
    assert report["requests"] == 3 and report["values"] == 10 and report["differing"] == 0
    late = fst.write_csv(tmp / "late.csv", fst.ORDERS_HEADER,
                         [[1, "o9", 555.0, ago(minutes=1), ago(minutes=1)]])
    fst.ingest(repo, "orders", late)
    p = fst.run(["skew", "--service", "churn_model"], repo)
    assert "compared 10 values of 3 logged responses of service 'churn_model': 4 differ" \
        in p.stdout, p.stdout
    report = json.loads(fst.run(["skew", "--json", "--sample", "2"], repo).stdout)
    assert report["requests"] == 2 and report["run_id"] == 3
    amount = next(f for f in report["features"] if f["feature"] == "customer_features:amount")
    # Sampled: the first and third responses, both with customer 1 (20.0 served, 555 now).
    assert amount["mismatched"] == 2 and amount["reasons"] == {"late_data": 2}
    assert amount["mean_abs_diff"] == 535.0
    p = fst.run(["skew", "--service", "nope"], repo, ok=1)
    assert "no logged request of service 'nope'" in p.stderr, p.stderr
    # The latest run of each service is a gauge of a running server.
    s = Server(repo)
    try:
        status, text = s.get("/metrics")
    finally:
        s.stop()
    assert status == 200
    assert 'fst_skew_differing_ratio{service="churn_model"} 0.400000' in text, text
    assert 'fst_skew_differing_ratio{service="*"} 0.500000' in text, text


def test_the_feedback_example_runs_end_to_end(tmp_path):
    """examples/feedback_loop.sh: serve -> log -> outcomes -> training-set -> reproduce."""
    p = subprocess.run([str(fst.REPO_ROOT / "examples" / "feedback_loop.sh"), str(tmp_path)],
                       capture_output=True, text=True, timeout=600,
                       env={**os.environ, "FST_BIN": str(fst.BIN)})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    assert "wrote 3 rows" in out and "joined by request_id" in out, out
    assert "reproduced: 6 features equal" in out, out
    assert "customer_id=42  purchase_frequency_30d: served 1, recomputed 2  late_data" in out, out
    assert "recorded as skew run #1" in out, out
