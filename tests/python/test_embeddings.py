"""Embeddings through the SDK: a list<float32> source column declared from a pyarrow
fixed_size_list (its dim), ingested from a pyarrow table, read back online (lists of floats,
a query vector in the entity row) equal to the training set (a list column), with a cosine
on-demand feature."""
import datetime as dt

import pyarrow as pa
import pytest

import featherstone as fst

AT = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
YAML = """\
project: emb
entities:
  - {name: item, join_keys: [item_id]}
sources:
  - name: items
    timestamp_field: event_ts
    schema:
      - {name: item_id, type: int64}
      - {name: embedding, type: list<float32>, dim: 3}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: item_features
    entities: [item]
    source: items
    ttl: 0
    features:
      - {name: embedding}
on_demand_feature_views:
  - name: query_match
    request_schema:
      - {name: query_embedding, type: list<float32>, dim: 3}
    sources: [item_features]
    features:
      - {name: similarity, expr: "cosine(query_embedding, item_features.embedding)"}
"""
FEATURES = ["item_features:embedding", "query_match:similarity"]


def test_a_fixed_size_list_declares_the_dim():
    source = fst.FileSource("items", schema={"item_id": "int64",
                                             "embedding": pa.list_(pa.float32(), 384),
                                             "event_ts": "timestamp"},
                            timestamp_field="event_ts")
    assert [(c.type, c.dim) for c in source.schema] == [
        ("int64", 0), ("list<float32>", 384), ("timestamp", 0)]


def test_online_equals_historical_for_vectors(tmp_path):
    (tmp_path / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(tmp_path)
    fs.apply()
    items = pa.table({
        "item_id": pa.array([1, 2], pa.int64()),
        "embedding": pa.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], pa.list_(pa.float32(), 3)),
        "event_ts": pa.array([AT - dt.timedelta(days=1)] * 2, pa.timestamp("us", "UTC")),
    })
    fs.ingest("items", items)
    fs.materialize(end=AT)
    query = [1.0, 0.0, 0.0]
    online = fs.get_online_features(
        features=FEATURES, entity_rows=[{"item_id": i, "query_embedding": query} for i in (1, 2)],
        at=AT).to_dict()
    spine = pa.table({"item_id": pa.array([1, 2], pa.int64()),
                      "event_timestamp": pa.array([AT] * 2, pa.timestamp("us", "UTC")),
                      "query_embedding": pa.array([query] * 2, pa.list_(pa.float32(), 3))})
    offline = fs.get_historical_features(spine, features=FEATURES)
    assert pa.types.is_list(offline.schema.field("embedding").type)
    assert online["embedding"] == offline.column("embedding").to_pylist()
    assert online["similarity"] == offline.column("similarity").to_pylist()
    assert online["similarity"][1] == 0.0
    assert online["similarity"][0] == pytest.approx(0.6, rel=1e-6)
