"""The online store on Redis Cluster answers exactly as RocksDB does.

Two repos with the same definitions and data, one with `online_store: rocksdb`, one with
`online_store: redis://...` (a six-node cluster started once per session): after materialize,
after an incremental materialize and after `push`, `online` gives the same JSON (values,
statuses, ttl applied at read time, every windowed aggregation at exact window edges).
"""
import datetime as dt
import json
import random
import uuid

import pytest

import fst

UTC = dt.timezone.utc
BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)
T = BASE + dt.timedelta(days=60)
CUSTOMERS = list(range(1, 41))
ENTITIES = CUSTOMERS + [998, 999]       # the last two have no data

YAML = """\
project: shop
registry: sqlite
online_store: {online}
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
    kind: file
    format: csv
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {{name: customer_id, type: int64}}
      - {{name: order_id, type: string}}
      - {{name: amount, type: float64, nullable: true}}
      - {{name: event_ts, type: timestamp}}
      - {{name: created_ts, type: timestamp}}
  - name: payments
    kind: push
    timestamp_field: event_ts
    schema:
      - {{name: customer_id, type: int64}}
      - {{name: amount, type: float64, nullable: true}}
      - {{name: event_ts, type: timestamp}}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {{name: amount}}
      - {{name: order_id}}
      - {{name: orders_7d, agg: count, column: order_id, window: 7d}}
      - {{name: spend_30d, agg: sum, column: amount, window: 30d}}
      - {{name: avg_30d, agg: avg, column: amount, window: 30d}}
      - {{name: min_1d, agg: min, column: amount, window: 1d}}
      - {{name: max_7d, agg: max, column: amount, window: 7d}}
      - {{name: sd_30d, agg: stddev, column: amount, window: 30d}}
      - {{name: last_7d, agg: last, column: order_id, window: 7d}}
      - {{name: first_30d, agg: first, column: order_id, window: 30d}}
      - {{name: distinct_30d, agg: count_distinct, column: order_id, window: 30d}}
  - name: payment_features
    entities: [customer]
    source: payments
    ttl: 7d
    online: true
    features:
      - {{name: last_payment, column: amount}}
      - {{name: payments_3d, agg: count, column: amount, window: 3d}}
"""

FEATURES = ",".join(
    [f"customer_features:{f}" for f in ("amount", "order_id", "orders_7d", "spend_30d", "avg_30d",
                                         "min_1d", "max_7d", "sd_30d", "last_7d", "first_30d",
                                         "distinct_30d")]
    + ["payment_features:last_payment", "payment_features:payments_3d"])


def orders(seed, n, start, days):
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        event = start + dt.timedelta(minutes=rnd.randrange(days * 24 * 60))
        amount = None if rnd.random() < 0.05 else round(rnd.uniform(1, 500), 2)
        rows.append([rnd.choice(CUSTOMERS), f"o{seed}-{i}", amount, fst.iso(event),
                     fst.iso(event + dt.timedelta(seconds=rnd.randrange(60)))])
    # Rows exactly at the end, at the ttl edge and at window edges of the lookups below.
    for cust, event in ((1, T), (2, T - dt.timedelta(days=30)), (3, T - dt.timedelta(days=7)),
                        (4, T - dt.timedelta(days=1)), (5, T + dt.timedelta(days=6))):
        rows.append([cust, f"edge{seed}-{cust}", 12.5, fst.iso(event), fst.iso(event)])
    return rows


def lookup_times():
    return [T, T - dt.timedelta(microseconds=1), T + dt.timedelta(days=1),
            T + dt.timedelta(days=7), T + dt.timedelta(days=29, hours=23),
            T + dt.timedelta(days=31)]


@pytest.fixture
def repos(tmp_path, redis_cluster):
    redis_cluster.flush()
    made = {}
    for name, online in (("rocks", "rocksdb"), ("redis", redis_cluster.spec())):
        made[name] = fst.make_repo(tmp_path / name, YAML.format(online=online))
    data = fst.write_csv(tmp_path / "orders.csv", fst.ORDERS_HEADER, orders(1, 600, BASE, 60))
    for repo in made.values():
        fst.ingest(repo, "orders", data)
        fst.run(["materialize", "--end", fst.iso(T)], repo)
    return made


def assert_same_online(repos):
    entities = [{"customer_id": c} for c in ENTITIES]
    for at in lookup_times():
        got = {name: fst.online(repo, entities, features=FEATURES, at=fst.iso(at))
               for name, repo in repos.items()}
        assert got["redis"] == got["rocks"], f"at {fst.iso(at)}"
    return got


def test_materialized_rows_read_the_same(repos):
    last = assert_same_online(repos)
    # The comparison is not vacuous: values, absent entities and an expired ttl are in it.
    at_t = fst.online(repos["redis"], [{"customer_id": 1}, {"customer_id": 999}],
                      features=FEATURES, at=fst.iso(T))
    assert fst.feature(at_t[0], "customer_features", "order_id") == "edge1-1"
    assert fst.feature(at_t[1], "customer_features", "amount") is None
    assert all(fst.feature(o, "customer_features", "amount") is None for o in last["redis"])


def test_incremental_materialize_and_push_read_the_same(repos, tmp_path):
    later = fst.write_csv(tmp_path / "later.csv", fst.ORDERS_HEADER,
                          orders(2, 200, T, 10))
    rnd = random.Random(3)
    pushed = "\n".join(json.dumps({
        "customer_id": rnd.choice(CUSTOMERS), "amount": round(rnd.uniform(1, 100), 2),
        "event_ts": fst.iso(T + dt.timedelta(minutes=rnd.randrange(5 * 24 * 60)))})
        for _ in range(300)) + "\n"
    for repo in repos.values():
        fst.ingest(repo, "orders", later)
        fst.run(["materialize", "--end", fst.iso(T + dt.timedelta(days=10))], repo)
        p = fst.run(["push", "payments", "-"], repo, input=pushed)
        assert "pushed 300 rows" in p.stdout, p.stdout
    assert_same_online(repos)
    out = fst.online(repos["redis"], [{"customer_id": c} for c in CUSTOMERS], features=FEATURES,
                     at=fst.iso(T + dt.timedelta(days=5)))
    assert any(fst.feature(o, "payment_features", "last_payment") is not None for o in out)


def test_unreachable_cluster_is_an_error_naming_the_nodes(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML.format(online="redis://127.0.0.1:1"))
    p = fst.run(["materialize", "--end", fst.iso(T)], repo, ok=1)
    assert "127.0.0.1:1" in p.stderr, p.stderr


def test_stream_runs_read_the_same(redis_cluster, kafka, tmp_path):
    """Two `stream` runs (the second resuming from the positions recorded with the rows) into
    both stores: the same answers, so no event was applied twice or skipped on Redis."""
    import test_stream as ts
    redis_cluster.flush()
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    yaml = ts.repo_yaml(ts.kafka_source(kafka, topic))
    repos = {name: fst.make_repo(tmp_path / name, yaml.replace(
        "project: shop\n", f"project: shop\nonline_store: {online}\n", 1))
        for name, online in (("rocks", "rocksdb"), ("redis", redis_cluster.spec()))}
    times = [ts.BASE + dt.timedelta(days=d) for d in (40, 5, 12.5, 21)]
    entities = [{"customer_id": c} for c in range(1, 52)]
    for first, n in ((0, 1500), (1500, 500)):
        ts.produce_spread(kafka, topic, ts.make_orders(n, seed=first + 1, start=first))
        for repo in repos.values():
            p = ts.stream(repo)
            assert f"streamed {n} events" in p.stdout, p.stdout
        for at in times:
            got = {name: fst.online(repo, entities, features=ts.FEATURES, at=fst.iso(at))
                   for name, repo in repos.items()}
            assert got["redis"] == got["rocks"], f"after {first + n} events, at {fst.iso(at)}"
    assert any(o["orders_7d"] for o in got["redis"])
