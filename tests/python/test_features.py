"""Aggregations and expressions declared in Python, computed by the engine: identical to the
CLI on the same repo; plan-time errors point at the Python lines."""

import inspect

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import featherstone as fst
import shop

AT = "2026-03-20T00:00:00Z"


def define_rich(fs):
    customer = fst.Entity("customer", join_keys=["customer_id"])
    orders = fst.FileSource(
        "orders", schema={"customer_id": "int64", "order_id": "string",
                          "amount": ("float64", True), "event_ts": "timestamp",
                          "created_ts": "timestamp"},
        timestamp_field="event_ts", created_timestamp_field="created_ts", format="csv")

    @fs.feature_view(name="rich", entities=[customer], source=orders, ttl="30d")
    def rich(o):
        return {
            "amount": o.amount,
            "amount_cents": o.amount * 100,
            "orders_7d": fst.count(window="7d"),
            "purchase_frequency_30d": fst.count(o.order_id, window="30d"),
            "spend_30d": fst.sum(o.amount, window="30d"),
            "average_order_value": fst.avg(o.amount, window="365d"),
            "min_amount_30d": fst.min(o.amount, window="30d"),
            "max_amount_30d": fst.max(o.amount, window="30d"),
            "stddev_amount_30d": fst.stddev(o.amount, window="30d"),
            "first_order_30d": fst.first(o.order_id, window="30d"),
            "last_order_ts": fst.last(o.event_ts, window="365d"),
            "distinct_orders_7d": fst.count_distinct(o.order_id, window="7d"),
            "days_since_last_order": fst.days_since("last_order_ts"),
            "churn_risk_score": fst.expr(
                "1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))"),
        }

    return rich


@pytest.fixture
def rich_repo(tmp_path, orders_rows):
    repo = tmp_path / "rich"
    fs = fst.FeatureStore(repo)
    view = define_rich(fs)
    fs.apply()
    fs.ingest("orders", shop.write_orders_csv(tmp_path / "orders.csv", orders_rows))
    yield fs, repo, view
    fs.close()


def test_training_set_identical_to_the_cli(rich_repo, tmp_path, cli_bin):
    fs, repo, view = rich_repo
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine())
    out = tmp_path / "cli.parquet"
    shop.cli(["historical", "--entities", spine, "--features", ",".join(view.refs),
              "--out", out], repo)
    cli = pq.read_table(out)
    sdk = fs.get_historical_features(spine, view)
    assert sdk.equals(cli)
    from_pandas = fs.get_historical_features(pq.read_table(out).select(
        ["customer_id", "event_timestamp", "label"]).to_pandas(), view)
    assert from_pandas.equals(cli)
    counts = sdk.column("purchase_frequency_30d").to_pylist()
    assert max(counts) > 1 and min(counts) == 0


def test_online_identical_to_the_cli(rich_repo, cli_bin):
    fs, repo, view = rich_repo
    fs.materialize(end="2026-03-15T00:00:00Z")
    entities = [{"customer_id": i} for i in (1, 2, 30, 60, 999)]
    sdk = fs.get_online_features(view, entities, at=AT)
    fs.close()
    assert sdk.rows == shop.cli_online(repo, entities, features=view.refs, at=AT)
    assert sdk["orders_7d"][-1] == 0 and sdk["average_order_value"][-1] is None


def test_plan_time_type_errors_point_at_the_python_lines(tmp_path):
    fs = fst.FeatureStore(tmp_path / "bad")
    customer = fst.Entity("customer", join_keys=["customer_id"])
    orders = fst.FileSource("orders", schema={"customer_id": "int64", "order_id": "string",
                                              "event_ts": "timestamp"},
                            timestamp_field="event_ts")

    @fs.feature_view(name="v", entities=[customer], source=orders)
    def v(o):
        return {
            "doubled": o.order_id * 2,  # a string times a number
            "typo": fst.expr("order_idd + 1"),
        }

    with pytest.raises(fst.DefinitionError) as e:
        fs.plan()
    lines, start = inspect.getsourcelines(test_plan_time_type_errors_point_at_the_python_lines)
    message = str(e.value)
    for marker in ("o.order_id * 2", '"order_idd + 1"'):
        line = start + next(i for i, text in enumerate(lines) if marker in text)
        assert f"{__file__}:{line}:" in message, (marker, message)
    assert "feature 'v:doubled'" in message and "feature 'v:typo'" in message
    assert "order_idd" in message

    @fs.feature_view(name="v", entities=[customer], source=orders)
    def v2(o):
        return {"avg_id": fst.avg(o.order_id, window="7d")}  # avg of strings

    with pytest.raises(fst.DefinitionError, match=r"test_features\.py:\d+: .*'avg_id'.*numeric"):
        fs.apply()
