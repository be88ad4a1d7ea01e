"""The Spark engine (featherstone.spark_engine, docs/scaling.md) against the local engine: the
same training set, row by row, on random data with duplicates, ties, nulls, late and
out-of-order events, many keys and windows; empty inputs; the CLI's --engine spark. One Spark
session (local[2]) for the whole file, stopped at the end with its JVM."""

import datetime as dt
import random
import sys

import pyarrow as pa
import pytest

import featherstone as fst
from featherstone import spark_engine

import shop

YAML = """\
project: spark_props
entities:
  - name: customer
    join_keys: [customer_id]
  - name: store
    join_keys: [store_id]
sources:
  - name: orders
    kind: file
    format: parquet
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp, nullable: true}
  - name: visits
    kind: file
    format: parquet
    timestamp_field: ts
    schema:
      - {name: customer_id, type: int64}
      - {name: store_id, type: string}
      - {name: minutes, type: int32, nullable: true}
      - {name: ts, type: timestamp}
feature_views:
  - name: latest
    entities: [customer]
    source: orders
    ttl: 3d
    features:
      - {name: amount}
      - {name: order_id}
      - {name: cents, expr: "coalesce(amount, 0) * 100"}
  - name: windows
    entities: [customer]
    source: orders
    ttl: 0
    features:
      - {name: n_1d, agg: count, column: order_id, window: 1d}
      - {name: sum_7d, agg: sum, column: amount, window: 7d}
      - {name: avg_7d, agg: avg, column: amount, window: 7d}
      - {name: min_2d, agg: min, column: amount, window: 2d}
      - {name: max_2d, agg: max, column: amount, window: 2d}
      - {name: sd_7d, agg: stddev, column: amount, window: 7d}
      - {name: last_7d, agg: last, column: order_id, window: 7d}
      - {name: first_7d, agg: first, column: order_id, window: 7d}
      - {name: distinct_3d, agg: count_distinct, column: amount, window: 3d}
  - name: store_visits
    entities: [customer, store]
    source: visits
    ttl: 2d
    features:
      - {name: minutes}
      - {name: visits_1d, agg: count, column: minutes, window: 1d}
feature_services:
  - name: everything
    features: [latest:amount, latest:order_id, latest:cents, windows:n_1d, windows:sum_7d,
               windows:avg_7d, windows:min_2d, windows:max_2d, windows:sd_7d, windows:last_7d,
               windows:first_7d, windows:distinct_3d, store_visits:minutes,
               store_visits:visits_1d]
"""

BASE = dt.datetime(2026, 3, 1)
STORES = ["north", "south", "east"]


def _time(rng, days=20):
    # Whole minutes over a few weeks: equal times happen.
    return BASE + dt.timedelta(minutes=rng.randrange(0, days * 24 * 60))


def _orders(rng, n, n_keys, first_id):
    rows = {"customer_id": [], "order_id": [], "amount": [], "event_ts": [], "created_ts": []}
    for i in range(n):
        if rows["customer_id"] and rng.random() < 0.1:  # same key and time: a tie
            key, ts = rows["customer_id"][-1], rows["event_ts"][-1]
        else:
            key, ts = rng.randrange(n_keys), _time(rng)
        created = None if rng.random() < 0.2 else ts + dt.timedelta(minutes=rng.choice([0, 5]))
        rows["customer_id"].append(key)
        rows["order_id"].append(f"o{first_id + i}")
        rows["amount"].append(None if rng.random() < 0.1 else float(rng.randrange(1, 50)))
        rows["event_ts"].append(ts)
        rows["created_ts"].append(created)
    return pa.table(rows)


def _visits(rng, n, n_keys):
    return pa.table({
        "customer_id": [rng.randrange(n_keys) for _ in range(n)],
        "store_id": [rng.choice(STORES) for _ in range(n)],
        "minutes": pa.array([None if rng.random() < 0.1 else rng.randrange(60)
                             for _ in range(n)], pa.int32()),
        "ts": [_time(rng) for _ in range(n)]})


def _spine(rng, n, n_keys):
    keys = [None if rng.random() < 0.02 else rng.randrange(n_keys + 20) for _ in range(n)]
    return pa.table({
        "customer_id": pa.array(keys, pa.int64()),
        "store_id": [rng.choice(STORES + ["west"]) for _ in range(n)],
        "event_timestamp": [_time(rng, days=24) for _ in range(n)],
        "label": list(range(n))})


def _repo(path, seed, n_keys=300, batches=3):
    """A repo of the YAML above with random rows ingested in `batches` ingests (later ingests
    hold events older than earlier ones: late data)."""
    path.mkdir()
    (path / "featherstone.yaml").write_text(YAML)
    rng = random.Random(seed)
    fs = fst.FeatureStore(path)
    fs.apply()
    for b in range(batches):
        fs.ingest("orders", _orders(rng, 1500, n_keys, first_id=b * 10000))
        fs.ingest("visits", _visits(rng, 600, n_keys))
    return fs, rng


@pytest.fixture(scope="module")
def spark():
    session = spark_engine.session("local[2]")
    yield session
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    session.stop()
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()  # the JVM exits when its stdin closes
        gateway.proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None


def assert_same(local, spark_table):
    assert spark_table.schema == local.schema
    assert spark_table.num_rows == local.num_rows
    for i, (want, got) in enumerate(zip(local.to_pylist(), spark_table.to_pylist())):
        assert got == want, f"row {i}"


@pytest.mark.parametrize("seed", [1, 2])
def test_spark_equals_the_local_engine_on_random_data(tmp_path, spark, seed):
    fs, rng = _repo(tmp_path / "repo", seed)
    spine = _spine(rng, 3000, 300)
    local = fs.get_historical_features(spine, service="everything")
    got = fs.get_historical_features(spine, service="everything", engine="spark",
                                     spark_partitions=3 + seed)
    assert_same(local, got)
    # Not every feature is null: the comparison means something.
    assert local.column("amount").null_count < local.num_rows // 2
    assert local.column("minutes").null_count < local.num_rows


def test_feature_lists_full_names_and_one_partition(tmp_path, spark):
    fs, rng = _repo(tmp_path / "repo", 3, n_keys=40, batches=2)
    spine = _spine(rng, 500, 40)
    features = ["windows:sum_7d", "latest:order_id", "store_visits:minutes"]
    local = fs.get_historical_features(spine, features, full_feature_names=True)
    run = spark_engine.historical(fs.repo_path, spine, features=",".join(features),
                                  full_feature_names=True, partitions=1)
    assert_same(local, run.table)
    assert run.partitions == 1 and len(run.kernel_calls) == 1
    assert run.kernel_calls[0][0] == spine.num_rows


def test_empty_inputs(tmp_path, spark):
    path = tmp_path / "repo"
    path.mkdir()
    (path / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(path)
    fs.apply()
    spine = _spine(random.Random(5), 50, 10)
    # No data at all: every feature null (count 0).
    assert_same(fs.get_historical_features(spine, service="everything"),
                fs.get_historical_features(spine, service="everything", engine="spark"))
    # No entity rows.
    fs.ingest("orders", _orders(random.Random(6), 100, 10, 0))
    empty = spine.slice(0, 0)
    got = fs.get_historical_features(empty, service="everything", engine="spark")
    assert_same(fs.get_historical_features(empty, service="everything"), got)


def test_errors(tmp_path, spark):
    fs, _ = _repo(tmp_path / "repo", 4, n_keys=5, batches=1)
    spine = _spine(random.Random(1), 5, 5)
    with pytest.raises(fst.ValidationError, match="engine: expected 'local' or 'spark'"):
        fs.get_historical_features(spine, service="everything", engine="dask")
    with pytest.raises(fst.ValidationError, match="missing column 'customer_id'"):
        fs.get_historical_features(spine.drop_columns(["customer_id"]), service="everything",
                                   engine="spark")
    with pytest.raises(fst.ValidationError, match="not a spine"):
        fs.get_historical_features(spine=fst.Spine.from_source("orders"),
                                   service="everything", engine="spark")


def test_cli_engine_spark_writes_what_the_local_engine_writes(loaded, tmp_path, cli_bin,
                                                             monkeypatch):
    fs, repo, _ = loaded
    fs.close()
    monkeypatch.setenv("FST_PYTHON", sys.executable)
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine())
    for suffix in ("csv", "parquet"):
        local = tmp_path / f"local.{suffix}"
        remote = tmp_path / f"spark.{suffix}"
        shop.cli(["historical", "--entities", spine, "--service", "churn_model", "--out", local],
                 repo)
        p = shop.cli(["historical", "--entities", spine, "--service", "churn_model", "--out",
                      remote, "--engine", "spark", "--master", "local[2]"], repo,
                     timeout=300)
        assert f"wrote 400 rows to {remote}" in p.stdout
        if suffix == "csv":
            assert remote.read_text() == local.read_text()
        else:
            import pyarrow.parquet as pq

            assert pq.read_table(remote).equals(pq.read_table(local))


def test_cli_usage_errors(loaded, tmp_path, cli_bin, monkeypatch):
    _, repo, _ = loaded
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine(n_rows=3))
    out = tmp_path / "out.csv"
    p = shop.cli(["historical", "--entities", spine, "--service", "churn_model", "--out", out,
                  "--master", "local[2]"], repo, ok=False)
    assert p.returncode == 2 and "need --engine spark" in p.stderr
    p = shop.cli(["historical", "--spine-source", "orders", "--service", "churn_model",
                  "--out", out, "--engine", "spark"], repo, ok=False)
    assert p.returncode == 2 and "needs --entities" in p.stderr
    monkeypatch.setenv("FST_PYTHON", "/nonexistent/python3")
    p = shop.cli(["historical", "--entities", spine, "--service", "churn_model", "--out", out,
                  "--engine", "spark"], repo, ok=False)
    assert p.returncode == 1
    assert "cannot import it (featherstone.spark_engine)" in p.stderr
    assert "FST_PYTHON" in p.stderr
