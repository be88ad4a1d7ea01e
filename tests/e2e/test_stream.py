"""Streaming from a real Kafka broker (the session fixture `kafka` in conftest.py): a stream
ingests what a file ingest gives, every event exactly once across runs, kill -9 and workers
sharing a topic; bad events (breaking the contract or not decoding) quarantined and a burst of
them opening the breaker; `push` from stdin."""
import datetime as dt
import json
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import threading
import time
import uuid

import pyarrow.parquet as pq
import pytest

import fst
import kafka_broker

BASE = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
FEATURES = ("customer_features:amount,customer_features:order_id,"
            "customer_features:orders_7d,customer_features:amount_30d,"
            "customer_features:avg_amount_30d")

SCHEMA = """\
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
"""

REST = """\
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {name: amount}
      - {name: order_id}
      - {name: orders_7d, agg: count, column: order_id, window: 7d}
      - {name: amount_30d, agg: sum, column: amount, window: 30d}
      - {name: avg_amount_30d, agg: avg, column: amount, window: 30d}
"""


def repo_yaml(source_block, contract=""):
    return ("project: shop\nentities:\n  - name: customer\n    join_keys: [customer_id]\n"
            "sources:\n  - name: orders\n" + source_block + SCHEMA + contract + REST)


def kafka_source(broker, topic):
    return (f"    kind: kafka\n    format: json\n    bootstrap_servers: {broker.bootstrap}\n"
            f"    topic: {topic}\n")


def make_orders(n, seed, start=0, bad_every=0):
    """n JSON orders (ids start..start+n-1) over 50 customers and 20 days; every bad_every-th
    has a negative amount."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n):
        ts = BASE + dt.timedelta(seconds=rng.randrange(20 * 86400))
        amount = round(rng.uniform(1, 500), 2)
        if bad_every and i % bad_every == bad_every - 1:
            amount = -1.0
        out.append(json.dumps({"customer_id": rng.randrange(1, 51), "order_id": f"o{i}",
                               "amount": amount, "event_ts": fst.iso(ts),
                               "created_ts": fst.iso(ts + dt.timedelta(seconds=i % 7))}))
    return out


def produce_spread(broker, topic, lines, partitions=4):
    for p in range(partitions):
        broker.produce(topic, lines[p::partitions], partition=p)


def stream(repo, *extra, ok=True):
    return fst.run(["stream", "orders", "--until-idle", "2s", *extra], repo, ok=ok)


def offline_rows(repo):
    """Every published row of source orders, read from its part files."""
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    paths = [r[0] for r in db.execute(
        "SELECT f.path FROM files f JOIN ingests i ON i.id = f.ingest_id "
        "WHERE f.source = 'orders' AND i.published_at > 0")]
    db.close()
    rows = []
    for path in paths:
        rows += pq.read_table(repo / ".featherstone" / "offline" / path,
                              columns=["order_id"]).column("order_id").to_pylist()
    return rows


def recorded_offsets(repo):
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    try:
        return dict(db.execute("SELECT partition, next_offset FROM stream_offsets"))
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def spine(times):
    return [[c, fst.iso(t)] for c in range(1, 51) for t in times]


def test_stream_equals_file_ingest_offline_and_online(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    lines = make_orders(2000, seed=1)
    produce_spread(kafka, topic, lines)
    streamed = fst.make_repo(tmp_path / "streamed", repo_yaml(kafka_source(kafka, topic)))
    p = stream(streamed)
    assert "streamed 2000 events" in p.stdout and "2000 written" in p.stdout, p.stdout
    assert "events" in p.stderr  # progress

    batch = fst.make_repo(tmp_path / "batch", repo_yaml("    kind: file\n    format: jsonl\n"))
    (batch / "data" / "orders.jsonl").write_text("\n".join(lines) + "\n")
    fst.ingest(batch, "orders", batch / "data" / "orders.jsonl")
    latest = max(fst.ts(json.loads(l)["event_ts"]) for l in lines)
    fst.run(["materialize", "--end", fst.iso(latest)], batch)

    times = [BASE + dt.timedelta(days=d, hours=5) for d in (3, 9, 15, 21, 40)]
    got, _ = fst.historical(streamed, spine(times), features=FEATURES, tag="s")
    want, _ = fst.historical(batch, spine(times), features=FEATURES, tag="b")
    assert got == want
    assert sum(1 for r in got if r["amount"] is not None) > 100

    entities = [{"customer_id": c} for c in range(1, 51)]
    at = fst.iso(latest + dt.timedelta(hours=1))
    online_streamed = fst.online(streamed, entities, features=FEATURES, at=at)
    online_batch = fst.online(batch, entities, features=FEATURES, at=at)
    assert online_streamed == online_batch
    assert any(fst.feature(o, "customer_features", "orders_7d") for o in online_streamed)


def test_two_runs_land_every_event_once(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    repo = fst.make_repo(tmp_path / "shop", repo_yaml(kafka_source(kafka, topic)))
    first = make_orders(1000, seed=2)
    produce_spread(kafka, topic, first)
    assert "streamed 1000 events" in stream(repo).stdout
    second = make_orders(700, seed=3, start=1000)
    produce_spread(kafka, topic, second)
    p = stream(repo, "--batch-events", "64")
    assert "streamed 700 events" in p.stdout, p.stdout
    ids = offline_rows(repo)
    assert len(ids) == 1700 and set(ids) == {f"o{i}" for i in range(1700)}
    assert sum(recorded_offsets(repo).values()) == 1700
    # Nothing new: a third run reads nothing.
    assert "streamed 0 events" in stream(repo).stdout


def test_kill_9_mid_run_then_rerun_is_exactly_once(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    repo = fst.make_repo(tmp_path / "shop", repo_yaml(kafka_source(kafka, topic)))
    total = 4000
    produce_spread(kafka, topic, make_orders(total, seed=4))
    proc = subprocess.Popen([fst.BIN, "-C", str(repo), "stream", "orders", "--until-idle", "5s",
                             "--batch-events", "40", "--publish-events", "200"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while sum(recorded_offsets(repo).values()) < 400 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = sum(recorded_offsets(repo).values())
    assert 0 < recorded < total, f"killed after {recorded} events were recorded"
    assert len(offline_rows(repo)) == recorded
    p = stream(repo)
    assert f"streamed {total - recorded} events" in p.stdout, p.stdout
    ids = offline_rows(repo)
    assert len(ids) == total and set(ids) == {f"o{i}" for i in range(total)}


CONTRACT = """\
    contract:
      policy: quarantine
      breaker: {{threshold: {threshold}, half_open_after: 1h}}
      expectations:
        - {{expect: between, column: amount, min: 0, max: 100000}}
"""


def test_bad_events_quarantined_and_a_burst_opens_the_breaker(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    yaml = repo_yaml(kafka_source(kafka, topic), CONTRACT.format(threshold=0.5))
    repo = fst.make_repo(tmp_path / "shop", yaml)
    kafka.produce(topic, make_orders(300, seed=5, bad_every=30), partition=0)
    p = stream(repo)
    assert "290 written, 10 quarantined" in p.stdout, p.stdout

    burst = make_orders(300, seed=6, start=300, bad_every=1)
    after = make_orders(100, seed=7, start=600)
    kafka.produce(topic, burst + after, partition=0)
    p = stream(repo, "--batch-events", "50", ok=1)
    assert "circuit breaker is now OPEN" in p.stderr, p.stderr
    assert "resumes there" in p.stderr
    recorded = sum(recorded_offsets(repo).values())
    assert 300 <= recorded < 600  # nothing after the burst was recorded
    ids = offline_rows(repo)
    assert len(ids) == 290 and max(int(i[1:]) for i in ids) < 300

    # Refused while open; after a reset and a looser contract the rerun resumes where it stopped.
    p = stream(repo, ok=1)
    assert "circuit breaker is OPEN since" in p.stderr and "nothing was ingested" in p.stderr
    assert "breaker reset orders" in p.stderr
    assert sum(recorded_offsets(repo).values()) == recorded
    fst.run(["breaker", "reset", "orders"], repo)
    (repo / "featherstone.yaml").write_text(
        repo_yaml(kafka_source(kafka, topic), CONTRACT.format(threshold=1.0)))
    fst.run(["apply"], repo)
    p = stream(repo)
    assert f"streamed {700 - recorded} events" in p.stdout, p.stdout
    ids = offline_rows(repo)
    assert len(ids) == 390 and set(ids) == (
        {f"o{i}" for i in range(300) if i % 30 != 29} | {f"o{i}" for i in range(600, 700)})
    assert sum(recorded_offsets(repo).values()) == 700


def test_push_jsonl_from_stdin(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", repo_yaml("    kind: push\n"))
    lines = make_orders(200, seed=8)
    p = fst.run(["push", "orders", "-"], repo, input="\n".join(lines) + "\n")
    assert "pushed 200 rows into source 'orders'" in p.stdout, p.stdout
    assert "online view 'customer_features'" in p.stdout
    assert len(offline_rows(repo)) == 200
    latest = max(fst.ts(json.loads(l)["event_ts"]) for l in lines)
    out = fst.online(repo, [{"customer_id": 7}], features=FEATURES,
                     at=fst.iso(latest + dt.timedelta(hours=1)))
    assert out[0]["orders_7d"] is not None
    bad = fst.run(["push", "orders", "-"], repo, ok=1, input='{"customer_id": "x"}\n')
    assert "nothing written" in bad.stderr, bad.stderr
    assert "stdin: line 1: column 'customer_id'" in bad.stderr, bad.stderr


def offline_keys(repo):
    """(customer_id, event_ts) of every published row of source orders."""
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    paths = [r[0] for r in db.execute(
        "SELECT f.path FROM files f JOIN ingests i ON i.id = f.ingest_id "
        "WHERE f.source = 'orders' AND i.published_at > 0")]
    db.close()
    keys = []
    for path in paths:
        t = pq.read_table(repo / ".featherstone" / "offline" / path,
                          columns=["customer_id", "event_ts"])
        keys += [(c, fst.iso(e if e.tzinfo else e.replace(tzinfo=dt.timezone.utc)))
                 for c, e in zip(t.column("customer_id").to_pylist(),
                                 t.column("event_ts").to_pylist())]
    return keys


def quarantined(repo):
    """The text of `quarantine show` for source orders (every row, replayed ones too)."""
    p = fst.run(["quarantine", "show", "orders", "--all", "--limit", "0"], repo)
    return p.stdout


UNDECODABLE = [
    "not json at all",
    "[1, 2, 3]",
    '{"customer_id": 9, "order_id": "u2", "amount": "lots", "event_ts": "2026-03-02T00:00:00Z",'
    ' "created_ts": "2026-03-02T00:00:00Z"}',
    '{"customer_id": "x", "order_id": "u3", "amount": 1, "event_ts": "2026-03-02T00:00:00Z",'
    ' "created_ts": "2026-03-02T00:00:00Z"}',
    '{"customer_id": 9, "order_id": "u4", "amount": 1, "event_ts": "yesterday",'
    ' "created_ts": "2026-03-02T00:00:00Z"}',
]


def test_undecodable_messages_are_quarantined_once_with_their_payload(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    repo = fst.make_repo(tmp_path / "shop", repo_yaml(kafka_source(kafka, topic)))
    good = make_orders(200, seed=9)
    missing_key = json.dumps({"order_id": "u5", "amount": 1, "event_ts": "2026-03-02T00:00:00Z",
                              "created_ts": "2026-03-02T00:00:00Z"})
    # Offsets 0-99 good, 100-104 undecodable, 105 without its join key, 106-205 good.
    kafka.produce(topic, good[:100] + UNDECODABLE + [missing_key] + good[100:], partition=0)
    p = stream(repo)
    assert "streamed 206 events" in p.stdout, p.stdout
    assert "200 written, 6 quarantined (5 undecodable)" in p.stdout, p.stdout
    assert sorted(offline_rows(repo)) == sorted(f"o{i}" for i in range(200))

    shown = quarantined(repo)
    for offset in range(100, 106):
        assert f"topic '{topic}' partition 0 offset {offset}" in shown or offset == 105, shown
    assert "column 'amount': value 'lots'" in shown, shown
    assert "column 'customer_id'" in shown and "column 'event_ts'" in shown
    assert "expected a JSON object" in shown and "not json at all" in shown
    assert '"order_id": "u2"' in shown  # the payload is kept
    assert "customer_id is null" in shown  # the missing key, by the implicit not_null rule
    listed = fst.run(["quarantine", "list", "orders"], repo).stdout
    assert "6 rows waiting" in listed, listed

    # Recorded with the micro-batch: a rerun reads nothing and quarantines nothing again.
    assert sum(recorded_offsets(repo).values()) == 206
    assert "streamed 0 events" in stream(repo).stdout
    assert "6 rows waiting" in fst.run(["quarantine", "list", "orders"], repo).stdout
    # Replay re-decodes the payloads: still undecodable under the same schema.
    p = fst.run(["quarantine", "replay", "orders"], repo)
    assert "replayed 0 of 6" in p.stdout and "6 still fail" in p.stdout, p.stdout
    assert "decode: 5 rows still do not decode" in p.stderr, p.stderr


def test_a_topic_of_garbage_opens_the_breaker(kafka, tmp_path):
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    yaml = repo_yaml(kafka_source(kafka, topic), CONTRACT.format(threshold=0.5))
    repo = fst.make_repo(tmp_path / "shop", yaml)
    kafka.produce(topic, make_orders(100, seed=10), partition=0)
    assert "100 written" in stream(repo).stdout
    kafka.produce(topic, [f"garbage {i}" for i in range(300)] + make_orders(50, seed=11),
                  partition=0)
    p = stream(repo, "--batch-events", "50", ok=1)
    assert "circuit breaker is now OPEN" in p.stderr, p.stderr
    assert "decode" in p.stderr
    recorded = sum(recorded_offsets(repo).values())
    assert 100 <= recorded < 400
    assert len(offline_rows(repo)) == 100


def test_push_quarantines_bad_lines_and_replay_decodes_them_after_a_fix(tmp_path):
    """A pushed line that does not decode is kept as text; after the schema is widened
    (int64 -> float64) the replay decodes and writes it."""
    created = "      - {name: created_ts, type: timestamp}\n"
    yaml = repo_yaml("    kind: push\n").replace(
        created, created + "      - {name: qty, type: int64, nullable: true}\n")
    repo = fst.make_repo(tmp_path / "shop", yaml)
    lines = make_orders(20, seed=12)
    odd = json.loads(lines[5])
    odd["qty"] = 2.5
    lines[5] = json.dumps(odd)
    lines.insert(10, "{broken")
    p = fst.run(["push", "orders", "-"], repo, input="\n".join(lines) + "\n")
    assert "pushed 19 rows" in p.stdout and "2 rows quarantined" in p.stdout, p.stdout
    shown = quarantined(repo)
    assert "stdin: line 6: column 'qty'" in shown and "stdin: line 11" in shown, shown
    assert '"qty": 2.5' in shown and "{broken" in shown

    (repo / "featherstone.yaml").write_text(yaml.replace("{name: qty, type: int64",
                                                         "{name: qty, type: float64"))
    fst.run(["apply"], repo)
    p = fst.run(["quarantine", "replay", "orders"], repo)
    assert "replayed 1 of 2" in p.stdout and "1 still fails" in p.stdout, p.stdout
    assert sorted(offline_rows(repo)) == sorted(f"o{i}" for i in range(20))
    qty = []
    for path in (repo / ".featherstone" / "offline" / "orders").rglob("*.parquet"):
        qty += [q for q in pq.read_table(path, columns=["qty"]).column("qty").to_pylist()
                if q is not None]
    assert qty == [2.5]


def test_two_workers_share_a_topic_each_event_once(kafka, tmp_path):
    """Two `stream` processes in one consumer group on a 2-partition topic: each gets one
    partition, and together they store every event once."""
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, 2)
    repo = fst.make_repo(tmp_path / "shop", repo_yaml(kafka_source(kafka, topic)))
    lines = make_orders(3000, seed=13)
    # The RocksDB online store is one process's: workers sharing a repo write offline only.
    cmd = [fst.BIN, "-C", str(repo), "stream", "orders", "--until-idle", "3s",
           "--batch-events", "200", "--offline-only"]
    workers = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    # Produced while both run (over about 5 s), so the group has settled on one partition per
    # worker before most events arrive; whoever holds a partition at any moment, each event
    # must land once.
    for chunk in range(10):
        produce_spread(kafka, topic, lines[chunk * 300:(chunk + 1) * 300], partitions=2)
        time.sleep(0.5)
    outs = []
    for w in workers:
        out, err = w.communicate(timeout=50)
        assert w.returncode == 0, err
        outs.append(out)
    counts = [int(o.split("streamed ")[1].split(" ")[0]) for o in outs]
    assert all(c > 0 for c in counts), outs  # each worker got a partition
    assert sum(counts) == 3000, outs
    want = sorted((json.loads(l)["customer_id"], json.loads(l)["event_ts"]) for l in lines)
    assert sorted(offline_keys(repo)) == want
    assert sorted(offline_rows(repo)) == sorted(f"o{i}" for i in range(3000))
    assert recorded_offsets(repo) == {0: 1500, 1: 1500}


# Every aggregation function and the expression kinds, over a source with a created time.
PROPERTY_YAML = """\
project: shop
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
{source}    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {{name: customer_id, type: int64}}
      - {{name: order_id, type: string}}
      - {{name: amount, type: float64, nullable: true}}
      - {{name: qty, type: int32, nullable: true}}
      - {{name: status, type: string, nullable: true}}
      - {{name: event_ts, type: timestamp}}
      - {{name: created_ts, type: timestamp, nullable: true}}
feature_views:
  - name: f
    entities: [customer]
    source: orders
    ttl: 3d
    online: true
    features:
      - {{name: amount}}
      - {{name: status}}
      - {{name: order_id}}
      - {{name: n_1d, agg: count, window: 1d}}
      - {{name: sum_3d, agg: sum, column: amount, window: 3d}}
      - {{name: qty_sum_2d, agg: sum, column: qty, window: 2d}}
      - {{name: avg_3d, agg: avg, column: amount, window: 3d}}
      - {{name: min_2d, agg: min, column: amount, window: 2d}}
      - {{name: max_2d, agg: max, column: qty, window: 2d}}
      - {{name: std_3d, agg: stddev, column: amount, window: 3d}}
      - {{name: last_status_4d, agg: last, column: status, window: 4d}}
      - {{name: first_amount_4d, agg: first, column: amount, window: 4d}}
      - {{name: distinct_3d, agg: count_distinct, column: status, window: 3d}}
      - {{name: last_ts_4d, agg: last, column: event_ts, window: 4d}}
      - {{name: cents, expr: "amount * 100"}}
      - {{name: paid_sum, expr: "if(status == 'paid', sum_3d, 0)"}}
      - {{name: recency, expr: "days_since(last_ts_4d)"}}
"""
PROPERTY_FEATURES = ",".join(
    "f:" + f for f in ("amount", "status", "order_id", "n_1d", "sum_3d", "qty_sum_2d", "avg_3d",
                       "min_2d", "max_2d", "std_3d", "last_status_4d", "first_amount_4d",
                       "distinct_3d", "last_ts_4d", "cents", "paid_sum", "recency"))


def property_events(n, seed, keys=12, start=0):
    """n events over `keys` customers in 6 days at whole hours (so many share an event time,
    and some a created time too), some values null, duplicates of earlier events (same key,
    times and values), created times sometimes null. Order is random: late and out of order."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n):
        if out and rng.random() < 0.08:
            dup = json.loads(rng.choice(out))
            dup["order_id"] = f"o{i}"
            out.append(json.dumps(dup))
            continue
        ts = BASE + dt.timedelta(hours=rng.randrange(6 * 24))
        created = None if rng.random() < 0.3 else fst.iso(ts + dt.timedelta(seconds=rng.randrange(3)))
        out.append(json.dumps({
            "customer_id": rng.randrange(1, keys + 1), "order_id": f"o{i}",
            "amount": None if rng.random() < 0.15 else round(rng.uniform(-50, 500), 2),
            "qty": None if rng.random() < 0.15 else rng.randrange(0, 9),
            "status": None if rng.random() < 0.1 else rng.choice(["paid", "new", "void"]),
            "event_ts": fst.iso(ts), "created_ts": created}))
    return out


def produce_by_key(broker, topic, lines, partitions=4):
    """Each customer's events to one partition, in order (as a producer keyed by customer)."""
    for p in range(partitions):
        broker.produce(topic, [l for l in lines if json.loads(l)["customer_id"] % partitions == p],
                       partition=p)


def batch_repo(path, lines, edit=lambda yaml: yaml):
    """A file-source repo holding `lines`, materialized up to their latest event time (its
    definitions PROPERTY_YAML, changed by `edit`)."""
    repo = fst.make_repo(path, edit(PROPERTY_YAML.format(source="    kind: file\n"
                                                         "    format: jsonl\n")))
    (repo / "data" / "orders.jsonl").write_text("\n".join(lines) + "\n")
    fst.ingest(repo, "orders", repo / "data" / "orders.jsonl")
    latest = max(fst.ts(json.loads(l)["event_ts"]) for l in lines)
    fst.run(["materialize", "--end", fst.iso(latest)], repo)
    return repo, latest


def historical_at(repo, keys, at, tag):
    rows, _ = fst.historical(repo, [[c, fst.iso(at)] for c in range(1, keys + 1)],
                             features=PROPERTY_FEATURES, tag=tag)
    return rows


@pytest.mark.parametrize("seed,publish", [(21, []), (22, ["--publish-events", "1",
                                                          "--publish-ms", "0"])])
def test_stream_online_equals_materialize_and_historical(kafka, tmp_path, seed, publish):
    """Stream == batch: the online side's per-event updates give what materialize gives over
    the same events, and what historical gives, at random read times after the last event
    (offline parts published at the end of the run, or after every micro-batch)."""
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    keys = 12
    lines = property_events(1500, seed, keys)
    produce_by_key(kafka, topic, lines)
    streamed = fst.make_repo(tmp_path / "streamed",
                             PROPERTY_YAML.format(source=kafka_source(kafka, topic)))
    p = stream(streamed, "--batch-events", str(random.Random(seed).choice([7, 50, 300])),
               *publish)
    assert "streamed 1500 events" in p.stdout, p.stdout
    batch, latest = batch_repo(tmp_path / "batch", lines)
    rng = random.Random(seed)
    entities = [{"customer_id": c} for c in range(1, keys + 1)]
    for i, minutes in enumerate([0] + [rng.randrange(1, 7 * 24 * 60) for _ in range(3)]):
        at = latest + dt.timedelta(minutes=minutes)
        got = fst.online(streamed, entities, features=PROPERTY_FEATURES, at=fst.iso(at))
        assert got == fst.online(batch, entities, features=PROPERTY_FEATURES, at=fst.iso(at))
        hist = historical_at(streamed, keys, at, f"h{i}")
        # historical's CSV spells values as text; compare as numbers where they are.
        for o, h in zip(got, hist):
            for f in PROPERTY_FEATURES.split(","):
                name = f.split(":")[1]
                want = h[name]
                value = fst.feature(o, "f", name)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert fst.same_number(value, want), (name, o, h)
                elif name == "last_ts_4d" and value is not None:
                    assert fst.ts(value) == fst.ts(want), (name, o, h)
                else:
                    assert (value is None) == (want is None), (name, o, h)
                    if value is not None:
                        assert str(value) == want, (name, o, h)
        if minutes == 0:  # within the ttl: most entities have values
            assert sum(1 for o in got if fst.feature(o, "f", "amount") is not None) > keys // 2
            assert sum(1 for o in got if fst.feature(o, "f", "n_1d")) > 0


def online_counts(repo, keys, at):
    entities = [{"customer_id": c} for c in range(1, keys + 1)]
    return fst.online(repo, entities, features="f:n_1d,f:sum_3d,f:distinct_3d,f:amount,f:order_id",
                      at=fst.iso(at))


def test_kill_9_at_stream_points_each_side_holds_every_event_once(kafka, tmp_path):
    """kill -9 after the online write (before the publish), before the publish, after a part
    file, at random passes; each rerun resumes each side from its own positions. At the end
    the offline store holds every event once and the online rows equal the batch result."""
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    keys = 12
    total = 1200
    lines = property_events(total, 31, keys)
    produce_by_key(kafka, topic, lines)
    yaml = PROPERTY_YAML.format(source=kafka_source(kafka, topic) + "    group: g0\n")
    repo = fst.make_repo(tmp_path / "shop", yaml)
    rng = random.Random(31)
    points = ["stream.online_written", "ingest.before_publish", "ingest.after_part"]
    kills = 0
    for run in range(1, 10):
        point = f"{points[run % len(points)]}@{rng.randrange(1, 4)}"
        # A fresh consumer group per run: the killed member's session need not expire first
        # (positions are the stores', never the group's).
        (repo / "featherstone.yaml").write_text(yaml.replace("group: g0", f"group: g{run}"))
        fst.run(["apply"], repo)
        p = fst.run(["stream", "orders", "--until-idle", "1s", "--batch-events", "40",
                     "--publish-events", "120"], repo,
                    ok=None, env={**os.environ, "FST_KILL_POINT": point})
        if p.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert p.returncode == 0, p.stderr
            break
    assert kills >= 6
    (repo / "featherstone.yaml").write_text(yaml.replace("group: g0", "group: final"))
    fst.run(["apply"], repo)
    stream(repo)
    ids = offline_rows(repo)
    assert len(ids) == total and set(ids) == {f"o{i}" for i in range(total)}
    assert sum(recorded_offsets(repo).values()) == total
    batch, latest = batch_repo(tmp_path / "batch", lines)
    for hours in (0, 30):
        at = latest + dt.timedelta(hours=hours)
        assert online_counts(repo, keys, at) == online_counts(batch, keys, at)



# The kill points of a stream run (FST_KILL_POINT, docs/cli.md), from a micro-batch's decode to
# the registry transaction that publishes its parts with their positions.
STREAM_KILL_POINTS = [
    "stream.decoded",              # a micro-batch decoded; nothing judged or written
    "stream.before_online_write",  # judged; its online rows and positions not yet written
    "stream.online_written",       # online rows and positions written, offline not published
    "ingest.after_part",           # an offline part file written, not yet published
    "ingest.before_publish",       # every part and quarantine file written, not yet published
    "ingest.after_publish",        # parts, quarantine and offline positions committed
]
# Offline parts published every 60 events (online writes per micro-batch), or with each
# micro-batch.
PUBLISH_MODES = {"deferred": ["--publish-events", "60"],
                 "per-batch": ["--publish-events", "1", "--publish-ms", "0"]}
# Events with qty 8 break the contract: quarantined, in the publish with their positions.
QTY_CONTRACT = """\
    contract:
      policy: quarantine
      expectations:
        - {expect: between, column: qty, min: 0, max: 7}
"""
# Windows over every event (they span 6 days), so a lost or repeated event shows in a count.
ALL_WINDOW_FEATURES = ("      - {name: n_30d, agg: count, window: 30d}\n"
                       "      - {name: amount_30d, agg: sum, column: amount, window: 30d}\n")


def with_contract_and_all_windows(yaml):
    return (yaml.replace("feature_views:", QTY_CONTRACT + "feature_views:")
            .replace("      - {name: cents", ALL_WINDOW_FEATURES + "      - {name: cents"))


def quarantined_ids(repo):
    """order_id of every quarantined row of source orders, from its published files."""
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    paths = [r[0] for r in db.execute(
        "SELECT q.path FROM quarantine_files q JOIN ingests i ON i.id = q.ingest_id "
        "WHERE q.source = 'orders' AND i.published_at > 0")]
    db.close()
    ids = []
    for path in paths:
        ids += pq.read_table(repo / ".featherstone" / "quarantine" / path,
                             columns=["order_id"]).column("order_id").to_pylist()
    return ids


@pytest.mark.slow
def test_kill_9_at_50_points_while_events_flow_each_event_once(kafka, tmp_path):
    """Exactly-once under crashes: events are produced throughout while `stream` is killed
    with SIGKILL at least 54 times, at every kill point of STREAM_KILL_POINTS in both publish
    modes (at its 1st to 3rd pass in the process), and restarted. At the end the offline store
    holds every good event once and the quarantine every bad one once, and the counts and sums
    online and offline equal those computed in batch from the same events."""
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    keys = 12
    lines = property_events(30000, 41, keys)
    yaml = with_contract_and_all_windows(
        PROPERTY_YAML.format(source=kafka_source(kafka, topic) + "    group: g0\n"))
    repo = fst.make_repo(tmp_path / "shop", yaml)

    produced = []
    failed = []
    stop = threading.Event()

    def produce():
        # 30 events every 0.25 s, each customer's in order on its partition.
        try:
            while not stop.is_set() and len(produced) < len(lines):
                chunk = lines[len(produced):len(produced) + 30]
                produce_by_key(kafka, topic, chunk)
                produced.extend(chunk)
                stop.wait(0.25)
        except Exception as e:  # noqa: BLE001 -- reported by the test's thread
            failed.append(e)

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(41)
    kills = {(point, mode): 0 for point in STREAM_KILL_POINTS for mode in PUBLISH_MODES}
    try:
        for run in range(1, 120):
            if sum(kills.values()) >= 54 or failed:
                break
            fewest = min(kills.values())
            point, mode = rng.choice([k for k, n in kills.items() if n == fewest])
            armed = f"{point}@{rng.randrange(1, 4)}"
            # A fresh consumer group per run: the killed member's session need not expire
            # first (positions are the stores', never the group's).
            (repo / "featherstone.yaml").write_text(yaml.replace("group: g0", f"group: g{run}"))
            fst.run(["apply"], repo)
            p = fst.run(["stream", "orders", "--until-idle", "2s", "--batch-events",
                         str(rng.choice([20, 40, 100])), *PUBLISH_MODES[mode]], repo,
                        ok=None, timeout=60, env={**os.environ, "FST_KILL_POINT": armed})
            # Events flow throughout, so every armed point is reached before the run idles.
            assert p.returncode == -signal.SIGKILL, \
                f"run {run} ({mode}, {armed}): exit {p.returncode}\n{p.stdout}\n{p.stderr[-3000:]}"
            kills[(point, mode)] += 1
    finally:
        stop.set()
        producer.join()
    assert not failed, failed
    print(f"{len(produced)} events produced; kills by (point, mode): {kills}")
    assert sum(kills.values()) >= 54, kills
    never = [k for k, n in kills.items() if n == 0]
    assert not never, f"kill points never reached: {never}"

    (repo / "featherstone.yaml").write_text(yaml.replace("group: g0", "group: final"))
    fst.run(["apply"], repo)
    stream(repo)
    total = len(produced)
    assert sum(recorded_offsets(repo).values()) == total
    events = [json.loads(l) for l in produced]
    bad = {e["order_id"] for e in events if e["qty"] is not None and e["qty"] > 7}
    good_ids = offline_rows(repo)
    bad_ids = quarantined_ids(repo)
    assert len(good_ids) == len(set(good_ids)) == total - len(bad)
    assert len(bad_ids) == len(set(bad_ids)) == len(bad) > 0
    assert set(bad_ids) == bad and set(good_ids) | bad == {e["order_id"] for e in events}

    # Online: every good event counted once, per customer, and what batch gives.
    latest = max(fst.ts(e["event_ts"]) for e in events)
    got = fst.online(repo, [{"customer_id": c} for c in range(1, keys + 1)],
                     features="f:n_30d,f:amount_30d", at=fst.iso(latest))
    for c, row in zip(range(1, keys + 1), got):
        mine = [e for e in events if e["customer_id"] == c and e["order_id"] not in bad]
        assert row["n_30d"] == len(mine), (c, row)
        assert fst.same_number(row["amount_30d"],
                               sum(e["amount"] for e in mine if e["amount"] is not None)), (c, row)
    batch, _ = batch_repo(tmp_path / "batch", produced, with_contract_and_all_windows)
    for hours in (0, 30):
        at = latest + dt.timedelta(hours=hours)
        assert online_counts(repo, keys, at) == online_counts(batch, keys, at)
    # Offline: the point-in-time join over each store, also at times online rows no longer
    # reach.
    spine_rows = [[c, fst.iso(BASE + dt.timedelta(hours=h))]
                  for c in range(1, keys + 1) for h in (20, 50, 90, 130, 150)]
    features = "f:n_1d,f:sum_3d,f:n_30d,f:amount_30d,f:amount,f:order_id"
    streamed_rows, _ = fst.historical(repo, spine_rows, features=features, tag="k")
    batch_rows, _ = fst.historical(batch, spine_rows, features=features, tag="k")
    assert streamed_rows == batch_rows
    assert sum(int(r["n_30d"]) for r in streamed_rows[4::5]) == total - len(bad)



def cpu_seconds(pid):
    """User and system CPU time of process `pid` so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_broker_that_goes_away_and_comes_back(tmp_path):
    """`stream` keeps running while its broker (one of this test's own) is stopped for longer
    than the group session: it says the broker is unreachable, waits without spinning, and
    once the broker is back (same port and data) goes on; events produced before, between and
    after land once in each store."""
    missing = kafka_broker.missing_tools()
    if missing:
        pytest.skip(f"the Kafka tests need {', '.join(missing)}")
    work = tmp_path / "broker"
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    lines = make_orders(900, seed=51)
    err_path = tmp_path / "stream.err"
    with kafka_broker.running_broker(work) as broker:
        bootstrap = broker.bootstrap
        repo = fst.make_repo(tmp_path / "shop", repo_yaml(kafka_source(broker, topic)))
        produce_spread(broker, topic, lines[:300])
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [fst.BIN, "-C", str(repo), "stream", "orders", "--until-idle", "120s",
                 "--batch-events", "50", "--publish-events", "100", "--publish-ms", "500"],
                stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            wait_for(lambda: sum(recorded_offsets(repo).values()) == 300, 60,
                     "the first 300 events to be published")
        except AssertionError:
            proc.kill()
            raise
    try:
        # The broker is gone for longer than the session timeout (6 s).
        cpu = cpu_seconds(proc.pid)
        time.sleep(10)
        assert proc.poll() is None, f"stream exited while the broker was down:\n" \
                                    f"{err_path.read_text()[-3000:]}"
        used = cpu_seconds(proc.pid) - cpu
        assert used < 2.0, f"stream used {used:.1f} s of CPU in 10 s waiting for the broker"
        outage = err_path.read_text()
        assert "unreachable" in outage, outage[-3000:]

        with kafka_broker.running_broker(work) as broker:
            assert broker.bootstrap == bootstrap  # the same port: the consumer reconnects
            produce_spread(broker, topic, lines[300:600])
            wait_for(lambda: sum(recorded_offsets(repo).values()) == 600, 90,
                     "the events produced after the restart to be published")
            produce_spread(broker, topic, lines[600:])
            wait_for(lambda: sum(recorded_offsets(repo).values()) == 900, 60,
                     "the last events to be published")
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err_path.read_text()[-3000:]
    assert "streamed 900 events" in out and "900 written" in out, out
    ids = offline_rows(repo)
    assert len(ids) == 900 and set(ids) == {f"o{i}" for i in range(900)}

    batch = fst.make_repo(tmp_path / "batch", repo_yaml("    kind: file\n    format: jsonl\n"))
    (batch / "data" / "orders.jsonl").write_text("\n".join(lines) + "\n")
    fst.ingest(batch, "orders", batch / "data" / "orders.jsonl")
    latest = max(fst.ts(json.loads(l)["event_ts"]) for l in lines)
    fst.run(["materialize", "--end", fst.iso(latest)], batch)
    entities = [{"customer_id": c} for c in range(1, 51)]
    at = fst.iso(latest + dt.timedelta(hours=1))
    assert fst.online(repo, entities, features=FEATURES, at=at) == \
        fst.online(batch, entities, features=FEATURES, at=at)


def test_the_quickstart_repo_streams_its_kafka_source(kafka, tmp_path):
    """README "Streaming, by hand": `init`'s order_events source (pointed at the test's broker)
    streamed, then live_orders read online."""
    repo = tmp_path / "shop"
    fst.run(["init", repo, "--customers", "50", "--days", "10"])
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    yaml_path = repo / "featherstone.yaml"
    text = yaml_path.read_text()
    assert "bootstrap_servers: 127.0.0.1:9092\n    topic: orders\n" in text
    yaml_path.write_text(text.replace("bootstrap_servers: 127.0.0.1:9092\n    topic: orders\n",
                                      f"bootstrap_servers: {kafka.bootstrap}\n"
                                      f"    topic: {topic}\n"))
    fst.run(["apply"], repo)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    amounts = [19.5, 5.0, 2.25]
    events = [{"customer_id": 42, "order_id": f"o-{i}", "amount": a,
               "event_ts": fst.iso(now - dt.timedelta(minutes=10 * i))}
              for i, a in enumerate(amounts)]
    # One from two hours ago counts for the day, not the hour.
    events.append({"customer_id": 42, "order_id": "o-old", "amount": 100.0,
                   "event_ts": fst.iso(now - dt.timedelta(hours=2))})
    kafka.produce(topic, [json.dumps(e) for e in events])
    p = fst.run(["stream", "order_events", "--until-idle", "2s"], repo)
    assert "streamed 4 events from source 'order_events'" in p.stdout, p.stdout
    got = fst.online(repo, [{"customer_id": 42}],
                     features="live_orders:orders_1h,live_orders:spend_1d")
    assert got == [{"customer_id": 42, "orders_1h": 3, "spend_1d": sum(amounts) + 100.0}], got
    # Freshness: the view is as current as the newest event the stream applied, not stale
    # since its last materialize (never, here), and the stream's own micro-batches are not
    # ingests waiting for materialize.
    fresh = json.loads(fst.run(["freshness", "--json"], repo).stdout)
    view = next(v for v in fresh["views"] if v["view"] == "live_orders")
    assert view["watermark"] is None
    assert view["streamed_through"] == fst.iso(now)
    assert view["pending_ingests"] == 0
    assert 0 <= view["lag_seconds"] < 600, view
    text = fst.run(["freshness"], repo).stdout
    assert "STREAMED_THROUGH" in text and fst.iso(now) in text, text
