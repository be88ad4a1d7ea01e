"""On-demand feature views declared in Python: the same registry object as the YAML
definition, and request columns taken from the entity rows of get_historical_features."""

import pyarrow as pa
import pytest

import featherstone as fst

ON_DEMAND_YAML = """\
project: shop
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
    kind: file
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {name: average_order_value, agg: avg, column: amount, window: 365d}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: amount, type: float64}
    sources: [customer_features]
    features:
      - {name: amount_vs_average, expr: "amount / customer_features.average_order_value"}
"""


def define(fs):
    customer = fst.Entity("customer", join_keys=["customer_id"])
    orders = fst.FileSource("orders", schema={"customer_id": "int64", "amount": "float64",
                                              "event_ts": "timestamp"},
                            timestamp_field="event_ts", format="csv")

    @fs.feature_view(name="customer_features", entities=[customer], source=orders, ttl="30d")
    def customer_features(o):
        return {"average_order_value": fst.avg(o.amount, window="365d")}

    return fs.on_demand_feature_view(
        "transaction_features", request_schema={"amount": "float64"},
        sources=[customer_features],
        features={"amount_vs_average": "amount / customer_features.average_order_value"})


def test_python_declaration_writes_the_canonical_yaml(tmp_path):
    fs = fst.FeatureStore(tmp_path / "py")
    view = define(fs)
    assert view["amount_vs_average"] == "transaction_features:amount_vs_average"
    text = fs.to_yaml()
    assert ("on_demand_feature_views:\n  - name: transaction_features\n    request_schema:\n"
            "      - {name: amount, type: float64}\n    sources: [customer_features]\n"
            "    features:\n      - {name: amount_vs_average, expr: "
            "\"amount / customer_features.average_order_value\"}\n") in text


def test_python_and_yaml_give_the_same_object(tmp_path):
    fs = fst.FeatureStore(tmp_path / "py")
    define(fs)
    yaml_repo = tmp_path / "yaml"
    yaml_repo.mkdir()
    (yaml_repo / "featherstone.yaml").write_text(ON_DEMAND_YAML)
    hashes = lambda objects: {(o.kind, o.name): o.hash for o in objects}  # noqa: E731
    from_python = hashes(fs.spec_objects())
    assert from_python == hashes(fst.FeatureStore(yaml_repo).spec_objects())
    assert ("on_demand_feature_view", "transaction_features") in from_python


def test_historical_takes_request_columns_from_the_entity_rows(tmp_path):
    repo = tmp_path / "yaml"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(ON_DEMAND_YAML)
    (repo / "orders.csv").write_text("customer_id,amount,event_ts\n42,10,2026-01-01T00:00:00Z\n"
                                     "42,30,2026-01-02T00:00:00Z\n")
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.ingest("orders", repo / "orders.csv")
    entities = pa.table({"customer_id": [42, 42],
                         "event_timestamp": pa.array([1767312000000000, 1767312000000000],
                                                     pa.timestamp("us", "UTC")),
                         "amount": [5.0, 0.0]})
    table = fs.get_historical_features(entities, ["transaction_features:amount_vs_average"])
    assert table.column("amount_vs_average").to_pylist() == [pytest.approx(0.25), 0.0]
    with pytest.raises(fst.FeatherstoneError, match="entity rows: missing column 'amount'"):
        fs.get_historical_features(entities.drop_columns(["amount"]),
                                   ["transaction_features:amount_vs_average"])


def test_online_takes_request_values_beside_the_join_keys(tmp_path):
    repo = tmp_path / "yaml"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(ON_DEMAND_YAML)
    (repo / "orders.csv").write_text("customer_id,amount,event_ts\n42,10,2026-01-01T00:00:00Z\n"
                                     "42,30,2026-01-02T00:00:00Z\n7,8,2026-01-02T00:00:00Z\n")
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.ingest("orders", repo / "orders.csv")
    fs.materialize(end="2026-01-03T00:00:00Z")
    refs = ["customer_features:average_order_value", "transaction_features:amount_vs_average"]
    at = "2026-01-03T00:00:00Z"
    online = fs.get_online_features(refs, [{"customer_id": 42, "amount": 5.0},
                                           {"customer_id": 7, "amount": 0},
                                           {"customer_id": 1, "amount": 3.5}], at=at).to_dict()
    assert online["customer_id"] == [42, 7, 1]
    assert online["average_order_value"] == [20.0, 8.0, None]
    assert online["amount_vs_average"] == [pytest.approx(0.25), 0.0, None]
    entities = pa.table({"customer_id": [42, 7, 1],
                         "event_timestamp": pa.array([1767398400000000] * 3,
                                                     pa.timestamp("us", "UTC")),
                         "amount": [5.0, 0.0, 3.5]})
    table = fs.get_historical_features(entities, refs)
    assert table.column("amount_vs_average").to_pylist() == online["amount_vs_average"]
    with pytest.raises(fst.ValidationError, match="amount"):
        fs.get_online_features(refs, [{"customer_id": 42}], at=at)
    with pytest.raises(fst.ValidationError, match="amout"):
        fs.get_online_features(refs, [{"customer_id": 42, "amout": 1.0}], at=at)
