"""The feature log published as Parquet (docs/serving.md "Feature log"): a real server on
127.0.0.1 logs every response, and each closed part of its log becomes rows of the source
`<service>__log`: exactly one row per served entity with the values and statuses the client
got, after a SIGTERM and after a kill -9 and a restart, and only the share `logging:
{sample_rate: R}` selects, chosen by a hash of the request id."""
import datetime as dt
import glob
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fst
from test_serve import ENTITIES, NOW, ORDERS, SERVE_YAML, Server, lookup

SERVICE_LOG = "churn_model__log"


def make_served_repo(base, yaml_text=SERVE_YAML):
    repo = fst.make_repo(base / "shop", yaml_text)
    orders = fst.write_csv(base / "orders.csv", fst.ORDERS_HEADER, ORDERS)
    fst.ingest(repo, "orders", orders)
    fst.run(["materialize", "--end", fst.iso(NOW)], repo)
    return repo


def published_rows(repo, source=SERVICE_LOG):
    """Every row of the source's Parquet parts, each part read whole (a half-written part
    would not read)."""
    parts = sorted(glob.glob(str(pathlib.Path(repo) / ".featherstone" / "offline" / source /
                                 "*.parquet")))
    tables = [pq.read_table(p) for p in parts]
    return pa.concat_tables(tables).to_pylist() if tables else []


def jsonl_parts(repo):
    return glob.glob(str(pathlib.Path(repo) / ".featherstone" / "feature_log" / "*" / "part-*"))


def sampled(request_id, rate):
    """The server's choice (serving::LogSampled): 64-bit FNV-1a of the id's bytes, mixed by
    MurmurHash3's fmix64, its top 53 bits as a fraction below the rate."""
    m = 0xFFFFFFFFFFFFFFFF
    h = 0xcbf29ce484222325
    for b in request_id.encode():
        h = ((h ^ b) * 0x100000001b3) & m
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m
    h ^= h >> 33
    return (h >> 11) / 2.0**53 < rate


def test_sigterm_publishes_one_row_per_served_entity(tmp_path):
    repo = make_served_repo(tmp_path)
    listed = fst.run(["list"], repo).stdout
    assert SERVICE_LOG in listed, listed
    described = fst.run(["describe", SERVICE_LOG], repo).stdout
    assert "customer_features__amount__status" in described, described
    s = Server(repo)
    answers = []
    try:
        for i in range(25):
            answers.append(lookup(s, ENTITIES, feature_service="churn_model",
                                  full_feature_names=(i % 5 == 0)))
    finally:
        assert s.stop() == 0
    assert not jsonl_parts(repo), "the published JSONL part is deleted"
    rows = published_rows(repo)
    assert len(rows) == 25 * len(ENTITIES)
    by_id = {}
    for row in rows:
        by_id.setdefault(row["request_id"], []).append(row)
    assert set(by_id) == {a["request_id"] for a in answers}
    for answer in answers:
        got = by_id[answer["request_id"]]
        assert [r["customer_id"] for r in got] == answer["results"][0]["values"]
        for c, name in enumerate(["amount", "order_id"], start=1):
            column = f"customer_features__{name}"
            assert [r[column] for r in got] == answer["results"][c]["values"]
            assert [r[column + "__status"] for r in got] == answer["results"][c]["statuses"]
        assert all(r["spec_hash"] and "feature_service/churn_model" in json.loads(r["spec_hashes"])
                   for r in got)
        assert {r["full_feature_names"] for r in got} == {
            answer["metadata"]["feature_names"][1].startswith("customer_features__")}
    # The feedback loop reads the published rows: a logged response is reproduced from them.
    p = fst.run(["reproduce", "--request-id", answers[3]["request_id"]], repo)
    assert "reproduced: 8 features equal" in p.stdout, p.stdout


def test_kill_9_loses_at_most_the_unflushed_tail_and_duplicates_nothing(tmp_path):
    repo = make_served_repo(tmp_path)
    s = Server(repo)
    answered = []  # (request id, monotonic time of the answer)
    try:
        for _ in range(10):
            answered.append((lookup(s, [1, 2], feature_service="churn_model")["request_id"],
                             time.monotonic()))
    finally:
        assert s.stop() == 0
    first = {rid for rid, _ in answered}
    assert len(published_rows(repo)) == 2 * len(first)

    s = Server(repo)
    stop = threading.Event()
    errors = []

    def load():
        while not stop.is_set():
            try:
                out = lookup(s, [1, 2], feature_service="churn_model")
                answered.append((out["request_id"], time.monotonic()))
            except Exception as e:  # the kill ends the load
                errors.append(e)
                return

    workers = [threading.Thread(target=load) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(3.0)
    killed_at = time.monotonic()
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    for w in workers:
        w.join()
    assert glob.glob(str(pathlib.Path(repo) / ".featherstone" / "feature_log" / "*" / "*.tmp")), \
        "the killed server left its open part"
    # Every published part reads (no half part visible), before and after the restart.
    before = published_rows(repo)
    assert len(before) == 2 * len(first)

    s = Server(repo)  # recovers the part the kill left and publishes it
    assert s.stop() == 0
    rows = published_rows(repo)
    ids = [r["request_id"] for r in rows]
    counts = {}
    for rid in ids:
        counts[rid] = counts.get(rid, 0) + 1
    assert set(counts.values()) == {2}, "every logged response once, with both entities"
    served = {rid for rid, _ in answered}
    assert set(counts) <= served
    # The writer flushes every 500 ms: what was answered well before the kill is logged (2 s:
    # a slack for a machine shared with other work).
    settled = {rid for rid, t in answered if t < killed_at - 2.0}
    assert settled <= set(counts), f"{len(settled - set(counts))} settled responses lost"
    assert len(served) > len(first) + 20, "the load ran"
    assert not jsonl_parts(repo)


def test_sample_rate_logs_the_requests_the_hash_selects(tmp_path):
    yaml_text = SERVE_YAML.replace(
        "    features: [customer_features:amount, customer_features:order_id]\n",
        "    features: [customer_features:amount, customer_features:order_id]\n"
        "    logging: {sample_rate: 0.5}\n")
    assert yaml_text != SERVE_YAML
    repo = make_served_repo(tmp_path, yaml_text)
    s = Server(repo)
    try:
        ids = [lookup(s, [1], feature_service="churn_model")["request_id"] for _ in range(60)]
        status, metrics = s.get("/metrics")
        assert status == 200
    finally:
        assert s.stop() == 0
    expected = {rid for rid in ids if sampled(rid, 0.5)}
    assert 10 < len(expected) < 50
    assert {r["request_id"] for r in published_rows(repo)} == expected
    line = next(l for l in metrics.splitlines()
                if l.startswith("fst_feature_log_records_sampled_out_total "))
    assert int(line.split()[1]) == len(ids) - len(expected)


def test_a_declared_source_cannot_take_a_log_name(tmp_path):
    yaml_text = SERVE_YAML.replace("sources:\n", """sources:
  - name: churn_model__log
    timestamp_field: ts
    schema:
      - {name: ts, type: timestamp}
""", 1)
    repo = tmp_path / "shop"
    fst.make_repo(repo, yaml_text, apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert ("featherstone.yaml:6:5: source 'churn_model__log' takes the name of the feature log "
            "of service 'churn_model'") in p.stderr, p.stderr


def test_a_bad_sample_rate_is_refused_with_its_position(tmp_path):
    yaml_text = SERVE_YAML.replace(
        "    features: [customer_features:amount, customer_features:order_id]\n",
        "    features: [customer_features:amount, customer_features:order_id]\n"
        "    logging: {sample_rate: 2}\n")
    repo = tmp_path / "shop"
    fst.make_repo(repo, yaml_text, apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "'sample_rate' of logging of feature_service 'churn_model' must be a number from " \
           "0 to 1" in p.stderr, p.stderr
    assert "featherstone.yaml:" in p.stderr


def test_a_view_over_the_log_gives_training_features_of_what_was_served(tmp_path):
    """A feature view may read a service's log: `historical` then returns, per entity, the
    values served last before the spine time and how often they were served."""
    repo = make_served_repo(tmp_path)
    s = Server(repo)
    answers = []
    try:
        for _ in range(7):
            answers.append(lookup(s, ENTITIES, feature_service="churn_model"))
    finally:
        assert s.stop() == 0
    assert len(published_rows(repo)) == 7 * len(ENTITIES)
    view = """feature_views:
  - name: served
    entities: [customer]
    source: churn_model__log
    features:
      - {name: served_amount, column: customer_features__amount}
      - {name: served_status, column: customer_features__amount__status}
      - {name: times_served_1d, agg: count, column: request_id, window: 1d}
"""
    yaml_path = repo / "featherstone.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("feature_views:\n", view, 1))
    fst.run(["apply"], repo)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    rows, _ = fst.historical(repo, [[c, fst.iso(later)] for c in ENTITIES],
                             features="served:served_amount,served:served_status,"
                                      "served:times_served_1d")
    served = answers[-1]["results"]
    assert [int(r["customer_id"]) for r in rows] == ENTITIES
    for i, row in enumerate(rows):
        assert fst.same_number(row["served_amount"], served[1]["values"][i])
        assert row["served_status"] == served[1]["statuses"][i]
        assert row["times_served_1d"] == "7"
    # A column the log lacks is refused at plan with its position.
    yaml_path.write_text(yaml_path.read_text().replace(
        "column: customer_features__amount}", "column: amount}", 1))
    p = fst.run(["plan"], repo, ok=1)
    assert ("feature_view 'served': feature 'served_amount': column 'amount' is not in source "
            "'churn_model__log'") in p.stderr, p.stderr
    assert "featherstone.yaml:" in p.stderr
