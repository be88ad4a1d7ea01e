"""On-demand feature views through the CLI: definitions in plan/apply/list/describe, online
lookups with --request, training sets with the request columns in the entity file (the same
values as online), and bad input (missing, unknown or mistyped request values, a missing
request column, expression errors at plan time)."""
import json

import pytest

import fst

ON_DEMAND_YAML = """\
project: shop
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    features:
      - {name: average_order_value, agg: avg, column: amount, window: 365d}
      - {name: last_order_ts, agg: last, column: event_ts, window: 365d}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: amount, type: float64}
      - {name: channel, type: string}
    sources: [customer_features]
    features:
      - {name: amount_vs_average, expr: "amount / customer_features.average_order_value"}
      - {name: days_since_last, expr: "days_since(customer_features.last_order_ts)"}
      - {name: is_web, expr: "channel == 'web'"}
feature_services:
  - name: fraud_model
    features: [customer_features:average_order_value, transaction_features:amount_vs_average]
"""

RATIO = "transaction_features:amount_vs_average"
ALL = ("transaction_features:amount_vs_average,transaction_features:days_since_last,"
       "transaction_features:is_web")
AT = "2026-01-10T00:00:00Z"


@pytest.fixture
def repo(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", ON_DEMAND_YAML)
    orders = fst.write_csv(tmp_path / "orders.csv", ["customer_id", "amount", "event_ts"], [
        [42, 10.0, "2026-01-01T00:00:00Z"],
        [42, 30.0, "2026-01-03T00:00:00Z"],   # customer 42: average 20, last order Jan 3
        [7, 0.0, "2026-01-02T00:00:00Z"],     # customer 7: average 0 -> ratio is null
    ])
    fst.ingest(repo, "orders", orders)
    fst.run(["materialize", "--end", AT], repo)
    return repo


def online(repo, features, entities, requests, ok=True):
    args = ["online", "--features", features, "--at", AT]
    for e in entities:
        args += ["--entity", f"customer_id={e}"]
    for r in requests:
        args += ["--request", r]
    return fst.run(args, repo, ok=ok)


def test_plan_list_and_describe_show_the_kind(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", ON_DEMAND_YAML, apply=False)
    plan = fst.run(["plan"], repo)
    assert "on_demand_feature_view" in plan.stdout and "transaction_features" in plan.stdout
    fst.run(["apply"], repo)
    listed = fst.run(["list", "on_demand_feature_view"], repo).stdout
    assert "transaction_features" in listed and "customer_features" not in listed
    described = fst.run(["describe", "transaction_features"], repo).stdout
    assert described.startswith("on_demand_feature_view transaction_features  (version 1,")
    assert "amount / customer_features.average_order_value" in described
    # A changed expression is a change of that object only.
    (repo / "featherstone.yaml").write_text(ON_DEMAND_YAML.replace(
        "amount / customer_features.average_order_value",
        "amount / (1 + customer_features.average_order_value)"))
    plan = fst.run(["plan"], repo).stdout
    assert "transaction_features" in plan and "customer_features " not in plan


def test_online_computes_from_request_and_stored_features(repo):
    out = json.loads(online(repo, ALL, [42, 7, 99], ["amount=12.5", "channel=web"]).stdout)
    assert [list(o) for o in out] == [
        ["customer_id", "amount_vs_average", "days_since_last", "is_web"]] * 3
    assert out[0]["amount_vs_average"] == pytest.approx(12.5 / 20.0)
    assert out[0]["days_since_last"] == pytest.approx(7.0)
    assert out[0]["is_web"] is True
    assert out[1]["amount_vs_average"] is None           # division by zero gives null
    assert out[2]["amount_vs_average"] is None           # no stored features
    assert out[2]["is_web"] is True                      # request-only expressions still compute


def test_service_mixes_stored_and_on_demand(repo):
    p = fst.run(["online", "--service", "fraud_model", "--entity", "customer_id=42",
                 "--request", "amount=40", "--at", AT, "--full-feature-names"], repo)
    out = json.loads(p.stdout)
    assert out == [{"customer_id": 42, "customer_features__average_order_value": 20.0,
                    "transaction_features__amount_vs_average": 2.0}]


def test_historical_takes_request_columns_from_the_entity_file(repo, tmp_path):
    header = ["customer_id", "event_timestamp", "amount", "channel"]
    spine = [[42, AT, 12.5, "web"], [7, AT, 3, "store"], [42, "2026-01-02T00:00:00Z", 5, "web"],
             [99, AT, None, "web"]]
    rows, _ = fst.historical(repo, spine, features=ALL, spine_header=header)
    assert [r["customer_id"] for r in rows] == ["42", "7", "42", "99"]
    assert fst.same_number(rows[0]["amount_vs_average"], 12.5 / 20.0)
    assert rows[1]["amount_vs_average"] is None
    # At Jan 2 only the Jan 1 order counts: average 10, last order one day before.
    assert fst.same_number(rows[2]["amount_vs_average"], 0.5)
    assert fst.same_number(rows[2]["days_since_last"], 1.0)
    assert rows[3]["amount_vs_average"] is None
    assert [r["is_web"] for r in rows] == ["true", "false", "true", "true"]
    # Online with the same request values at the same time gives the same values.
    for row, (customer, when, amount, channel) in zip(rows, spine):
        if when != AT:
            continue
        got = json.loads(online(repo, ALL, [customer],
                                [f"amount={'' if amount is None else amount}",
                                 f"channel={channel}"]).stdout)[0]
        for name in ("amount_vs_average", "days_since_last"):
            assert fst.same_number(row[name], got[name]), (name, row, got)


def test_missing_request_value(repo):
    p = online(repo, RATIO, [42], [], ok=1)
    assert "missing request field 'amount' (float64)" in p.stderr
    assert "transaction_features:amount_vs_average" in p.stderr


def test_unknown_request_field(repo):
    p = online(repo, RATIO, [42], ["amount=1", "amont=2"], ok=1)
    assert "unknown request field 'amont'" in p.stderr
    assert "amount (float64)" in p.stderr


def test_request_value_of_the_wrong_type(repo):
    p = online(repo, RATIO, [42], ["amount=twelve"], ok=1)
    assert "'amount'" in p.stderr and "'twelve' is not a valid float64" in p.stderr


def test_malformed_request_option(repo):
    p = online(repo, RATIO, [42], ["amount"], ok=1)
    assert "--request 'amount': expected KEY=VALUE" in p.stderr


def test_missing_request_column_names_column_and_file(repo):
    p, _ = fst.historical(repo, [[42, AT]], features=RATIO, ok=1, tag="missing")
    assert "missing column 'amount'" in p.stderr and "spine.csv" in p.stderr


def test_expression_errors_at_plan_time(tmp_path):
    bad = ON_DEMAND_YAML.replace("amount / customer_features.average_order_value",
                                 "amount / average_order_value")
    repo = fst.make_repo(tmp_path / "shop", bad, apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert "featherstone.yaml:28:9: feature 'transaction_features:amount_vs_average'" in p.stderr
    assert "did you mean 'customer_features.average_order_value'?" in p.stderr
    typo = ON_DEMAND_YAML.replace("sources: [customer_features]", "sources: [customer_featres]")
    (repo / "featherstone.yaml").write_text(typo)
    p = fst.run(["plan"], repo, ok=False)
    assert "did you mean 'customer_features'?" in p.stderr
