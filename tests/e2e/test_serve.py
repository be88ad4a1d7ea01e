"""`featherstone serve` end to end: a real server on 127.0.0.1 (port 0), started per test.

The repo's data is placed relative to now, so lookups at the server's clock see fresh rows,
rows older than the ttl and absent entities. Reference answers come from the CLI (`online`,
`historical`), taken while no server holds the online store open.
"""
import datetime as dt
import glob
import http.client
import json
import os
import pathlib
import queue
import re
import signal
import subprocess
import threading
import time

import pyarrow.parquet as pq
import pytest

import fst

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(minutes=1)

SERVE_YAML = """\
project: shop
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
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
  - name: payments
    kind: push
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
    contract:
      policy: quarantine
      expectations:
        - {expect: not_null, column: amount}
        - {expect: between, column: amount, min: 0, max: 1000}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {name: amount}
      - {name: order_id}
      - {name: orders_30d, agg: count, column: order_id, window: 30d}
  - name: payment_features
    entities: [customer]
    source: payments
    ttl: 7d
    online: true
    features:
      - {name: last_payment, column: amount}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: amount, type: float64}
    sources: [customer_features]
    features:
      - {name: amount_vs_last, expr: "amount / customer_features.amount"}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:order_id]
"""

FEATURES = ["customer_features:amount", "customer_features:order_id",
            "customer_features:orders_30d"]
ENTITIES = [1, 2, 3, 99]       # 3: only a row older than the ttl; 99: no row at all


def days_ago(d, hours=0):
    return fst.iso(NOW - dt.timedelta(days=d, hours=hours))


ORDERS = [
    [1, "o1", 10.0, days_ago(2), days_ago(2)],
    [1, "o2", 20.0, days_ago(1), days_ago(1)],
    [2, "o3", 7.5, days_ago(5), days_ago(5)],
    [3, "o4", 99.0, days_ago(40), days_ago(40)],
    [4, "o5", 30.0, days_ago(3), days_ago(3)],
]


def cli_error(repo, args):
    p = fst.run(args, repo, ok=1)
    assert p.stderr.startswith("error: "), p.stderr
    return p.stderr[len("error: "):].rstrip("\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The applied, ingested and materialized repo, and the CLI's answers about it."""
    base = tmp_path_factory.mktemp("serve")
    repo = fst.make_repo(base / "shop", SERVE_YAML)
    orders = fst.write_csv(base / "orders.csv", fst.ORDERS_HEADER, ORDERS)
    fst.ingest(repo, "orders", orders)
    fst.run(["materialize", "--end", fst.iso(NOW)], repo)
    ref = {
        "features": fst.online(repo, [{"customer_id": c} for c in ENTITIES],
                               features=",".join(FEATURES)),
        "service": fst.online(repo, [{"customer_id": c} for c in ENTITIES], service="churn_model"),
        "on_demand": json.loads(fst.run(
            ["online", "--features", "transaction_features:amount_vs_last",
             "--entity", "customer_id=1", "--entity", "customer_id=2",
             "--request", "amount=40"], repo).stdout),
        "bad_key": cli_error(repo, ["online", "--features", FEATURES[0],
                                    "--entity", "customer_idd=1"]),
        "bad_service": cli_error(repo, ["online", "--service", "churn_mdl",
                                        "--entity", "customer_id=1"]),
        "bad_feature": cli_error(repo, ["online", "--features", "customer_features:amout",
                                        "--entity", "customer_id=1"]),
    }
    return repo, ref


class Server:
    """A `featherstone serve --port 0` subprocess and a small HTTP client for it (and its gRPC
    port with `--grpc-port 0` in `extra`)."""

    def __init__(self, repo, extra=()):
        self.repo = repo
        self.proc = subprocess.Popen(
            [fst.BIN, "-C", str(repo), "serve", "--port", "0", "--threads", "2", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 10
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise AssertionError(f"no 'serving' line within 10 s: {''.join(self.stderr)}")
            if line is None:
                raise AssertionError(f"serve exited {self.proc.wait()}: {''.join(self.stderr)}")
            m = re.match(r"serving (.+) on http://127\.0\.0\.1:(\d+)"
                         r"(?: and grpc://127\.0\.0\.1:(\d+))? \(2 threads\)$", line.strip())
            if m:
                self.port = int(m.group(2))
                self.grpc_port = int(m.group(3)) if m.group(3) else None  # --grpc-port
                break

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def request(self, method, path, body=None, token=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        return resp.status, (json.loads(text) if ctype.startswith("application/json") else text)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def stop(self):
        """SIGTERM, then the exit code (killed after 10 s)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode


@pytest.fixture
def server(repo):
    s = Server(repo[0])
    yield s
    s.stop()


def lookup(server, entities, **body):
    body["entities"] = {"customer_id": entities}
    status, out = server.post("/get-online-features", body)
    assert status == 200, out
    return out


def as_objects(out):
    """Feast's column-major response as one object per entity, like `featherstone online`."""
    names = out["metadata"]["feature_names"]
    n = len(out["results"][0]["values"])
    return [{name: out["results"][c]["values"][r] for c, name in enumerate(names)}
            for r in range(n)]


def test_lookup_by_features_equals_cli_online(server, repo):
    out = lookup(server, ENTITIES, features=FEATURES)
    assert out["metadata"]["feature_names"] == ["customer_id", "amount", "order_id", "orders_30d"]
    assert as_objects(out) == repo[1]["features"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{12}", out["request_id"])
    keys, amount, order_id, count = out["results"]
    assert keys["values"] == ENTITIES and set(keys["statuses"]) == {"PRESENT"}
    assert amount["values"][:2] == [20.0, 7.5]
    assert amount["statuses"] == ["PRESENT", "PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"]
    assert order_id["statuses"] == ["PRESENT", "PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"]
    assert amount["event_timestamps"][0] == days_ago(1)
    assert amount["event_timestamps"][3] == "1970-01-01T00:00:00Z"
    # A windowed count is governed by its window, not the ttl: present (0) for customer 3.
    assert count["values"][:3] == [2, 1, 0]


def test_lookup_by_service_and_full_feature_names(server, repo):
    out = lookup(server, ENTITIES, feature_service="churn_model")
    assert out["metadata"]["feature_names"] == ["customer_id", "amount", "order_id"]
    assert as_objects(out) == repo[1]["service"]
    full = lookup(server, [1], feature_service="churn_model", full_feature_names=True)
    assert full["metadata"]["feature_names"] == [
        "customer_id", "customer_features__amount", "customer_features__order_id"]
    assert [r["values"][0] for r in full["results"]] == [1, 20.0, "o2"]
    # String entity values are read as the key's type, like the CLI's text.
    assert lookup(server, ["1"], feature_service="churn_model")["results"][1]["values"] == [20.0]


def test_on_demand_features_with_request_data(server, repo):
    out = lookup(server, [1, 2], features=["transaction_features:amount_vs_last"],
                 request_data={"amount": [40]})
    assert as_objects(out) == repo[1]["on_demand"]
    assert out["results"][1]["values"] == [2.0, 40 / 7.5]
    per_entity = lookup(server, [1, 2], features=["transaction_features:amount_vs_last"],
                        request_data={"amount": [40, 15]})
    assert per_entity["results"][1]["values"] == [2.0, 2.0]


def test_errors_carry_the_engines_text(server, repo):
    ref = repo[1]
    status, out = server.post("/get-online-features",
                              {"features": FEATURES[:1], "entities": {"customer_idd": [1]}})
    assert (status, out) == (400, {"error": ref["bad_key"]})
    status, out = server.post("/get-online-features",
                              {"feature_service": "churn_mdl", "entities": {"customer_id": [1]}})
    assert (status, out) == (404, {"error": ref["bad_service"]})
    status, out = server.post("/get-online-features", {"features": ["customer_features:amout"],
                                                       "entities": {"customer_id": [1]}})
    assert (status, out) == (404, {"error": ref["bad_feature"]})
    status, out = server.post("/get-online-features", None, raw="{not json")
    assert status == 400 and "malformed JSON" in out["error"]
    status, out = server.post("/get-online-features", {"features": FEATURES,
                                                       "entities": {"customer_id": [1, None]}})
    assert status == 400 and "'entities.customer_id[1]'" in out["error"]
    assert server.get("/get-online-features")[0] == 405
    assert server.get("/nope")[0] == 404
    # The server goes on serving after bad requests.
    assert lookup(server, [1], features=FEATURES)["results"][1]["values"] == [20.0]


def test_health_features_and_metrics(server):
    assert server.get("/health") == (200, {"status": "ok"})
    status, catalog = server.get("/features")
    assert status == 200
    assert [v["name"] for v in catalog["feature_views"]] == ["customer_features", "payment_features"]
    assert [s["name"] for s in catalog["feature_services"]] == ["churn_model"]
    # churn_model__log: the source churn_model's feature log is published into
    assert [s["name"] for s in catalog["sources"]] == ["churn_model__log", "orders", "payments"]
    assert catalog["on_demand_feature_views"][0]["name"] == "transaction_features"
    assert all(len(v["spec_hash"]) > 8 for v in catalog["feature_views"])
    for _ in range(3):
        lookup(server, ENTITIES, features=FEATURES)
    lookup(server, [1], feature_service="churn_model")
    server.post("/get-online-features", {"features": FEATURES, "entities": {"nope": [1]}})
    status, text = server.get("/metrics")
    assert status == 200
    lines = set(text.splitlines())
    for line in [
        'fst_http_requests_total{endpoint="/get-online-features",code="200"} 4',
        'fst_http_requests_total{endpoint="/get-online-features",code="400"} 1',
        'fst_http_requests_total{endpoint="/features",code="200"} 1',
        'fst_http_requests_total{endpoint="/health",code="200"} 1',
        'fst_http_request_duration_seconds_count{endpoint="/get-online-features"} 5',
        'fst_online_service_duration_seconds_count{service="churn_model"} 1',
        'fst_online_rows_served_total 13',
        'fst_online_feature_status_total{view="customer_features",status="NOT_FOUND"} 9',
        'fst_online_feature_status_total{view="customer_features",status="OUTSIDE_MAX_AGE"} 6',
    ]:
        assert line in lines, f"{line!r} not in:\n{text}"
    assert any(line.startswith("fst_feature_log_queued_records ") for line in lines)
    assert 'fst_http_request_duration_seconds_bucket{endpoint="/get-online-features",le="+Inf"} 5' \
        in lines
    # Read from the registry at scrape time: materialized views' watermark ages, breakers.
    age = 'fst_materialization_watermark_age_seconds{view="customer_features"} '
    ages = [line for line in lines if line.startswith(age)]
    assert len(ages) == 1 and float(ages[0].split()[-1]) >= 0
    assert "# TYPE fst_breaker_state gauge" in lines


def test_push_offline_is_seen_by_historical(server, repo):
    at = days_ago(0, hours=2)
    status, out = server.post("/push", {"push_source_name": "orders", "to": "offline", "df": {
        "customer_id": [5, 5], "order_id": ["p1", "p2"], "amount": [3.25, 4.5],
        "event_ts": [days_ago(0, hours=3), at], "created_ts": [at, at]}})
    assert status == 200, out
    assert out["rows_written"] == 2 and out["rows_quarantined"] == 0 and out["ingest_id"] > 0
    assert out["materialized"] == []
    # Offline only: the online store has nothing for customer 5.
    assert lookup(server, [5], features=FEATURES)["results"][1]["statuses"] == ["NOT_FOUND"]
    rows, _ = fst.historical(repo[0], [[5, fst.iso(NOW)]], features=",".join(FEATURES[:2]),
                             tag="push")
    assert rows[0]["order_id"] == "p2" and fst.num(rows[0]["amount"]) == 4.5


def test_push_online_is_served_at_once(server):
    at = days_ago(0, hours=1)
    assert lookup(server, [4], features=FEATURES)["results"][1]["values"] == [30.0]
    status, out = server.post("/push", {"source": "orders", "to": "online", "df": {
        "customer_id": [4, 7], "order_id": ["n1", "n7"], "amount": [55.5, 1],
        "event_ts": [at, at], "created_ts": [at, at]}})
    assert status == 200, out
    assert out["rows_written"] == 2
    assert [m["view"] for m in out["materialized"]] == ["customer_features"]
    got = lookup(server, [4, 7], features=FEATURES)
    assert got["results"][1]["values"] == [55.5, 1.0]
    assert got["results"][2]["values"] == ["n1", "n7"]
    assert got["results"][3]["values"] == [2, 1]
    assert got["results"][1]["event_timestamps"] == [at, at]


def test_push_is_checked_against_the_contract(server):
    at = days_ago(0, hours=1)
    status, out = server.post("/push", {"push_source_name": "payments", "df": {
        "customer_id": [11, 12, 13], "amount": [12.0, None, 5000], "event_ts": [at, at, at]}})
    assert status == 200, out
    assert (out["rows_written"], out["rows_quarantined"]) == (1, 2)
    got = lookup(server, [11, 12], features=["payment_features:last_payment"])
    assert got["results"][1]["values"] == [12.0, None]
    status, out = server.post("/push", {"push_source_name": "payments", "df": {
        "customer_id": [14], "amount": [-1], "event_ts": [at]}})
    assert status == 422, out
    assert "nothing written" in out["error"] and "quarantined" in out["error"]
    status, out = server.post("/push", {"push_source_name": "paymnts", "df": {"x": [1]}})
    assert status == 404 and "unknown source 'paymnts'" in out["error"]
    status, out = server.post("/push", {"push_source_name": "orders", "df": {
        "customer_id": [15], "order_id": ["x"], "amount": [1.0]}})
    # Pushed rows are independent events, as with `featherstone push`: one without an event
    # time, or one that does not decode, is quarantined rather than failing the others.
    assert status == 422 and "not_null(event_ts)" in out["error"], out
    status, out = server.post("/push", {"push_source_name": "orders", "df": {
        "customer_id": [15, 16], "order_id": ["x", "y"], "amount": [1.0, "lots"],
        "event_ts": [at, at], "created_ts": [at, at]}})
    assert status == 200 and out["rows_written"] == 1 and out["rows_quarantined"] == 1, out


def test_feature_log_has_one_record_per_response(repo):
    log_dir = pathlib.Path(repo[0]) / ".featherstone" / "feature_log"
    before = set(glob.glob(str(log_dir / "*" / "part-*.jsonl")))
    s = Server(repo[0])
    try:
        answers = [lookup(s, ENTITIES, features=FEATURES),
                   lookup(s, [2], feature_service="churn_model"),
                   lookup(s, [1], features=["transaction_features:amount_vs_last"],
                          request_data={"amount": [30]})]
        s.post("/get-online-features", {"features": FEATURES, "entities": {"nope": [1]}})
    finally:
        assert s.stop() == 0, "SIGTERM drains and exits 0"
    assert not glob.glob(str(log_dir / "*" / "*.tmp")), "no part left open"
    # The service's response is published into the source churn_model__log
    # (test_feature_log.py); the responses by feature list stay as JSON lines, in the part's
    # .kept.jsonl.
    records = []
    for path in sorted(set(glob.glob(str(log_dir / "*" / "part-*.jsonl"))) - before):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    assert [r["request_id"] for r in records] == [answers[0]["request_id"],
                                                 answers[2]["request_id"]]
    for record, answer in zip(records, [answers[0], answers[2]]):
        names = answer["metadata"]["feature_names"]
        assert record["feature_names"] == names[1:]
        assert record["entities"] == [{"customer_id": v} for v in answer["results"][0]["values"]]
        values = [[answer["results"][c]["values"][r] for c in range(1, len(names))]
                  for r in range(len(record["entities"]))]
        statuses = [[answer["results"][c]["statuses"][r] for c in range(1, len(names))]
                    for r in range(len(record["entities"]))]
        assert record["values"] == values and record["statuses"] == statuses
        assert fst.ts(record["served_at"]) <= dt.datetime.now(UTC)
        assert record["served_at_us"] // 1_000_000 == int(fst.ts(record["served_at"]).timestamp())
    assert records[0]["service"] is None and records[0]["features"] == FEATURES
    rows = [row for path in glob.glob(str(pathlib.Path(repo[0]) / ".featherstone" / "offline" /
                                          "churn_model__log" / "*.parquet"))
            for row in pq.read_table(path).to_pylist()
            if row["request_id"] == answers[1]["request_id"]]
    assert [(r["customer_id"], r["customer_features__amount"],
             r["customer_features__amount__status"]) for r in rows] == [(2, 7.5, "PRESENT")]
    assert set(json.loads(rows[0]["spec_hashes"])) == {"feature_service/churn_model",
                                                       "feature_view/customer_features"}
    assert records[1]["request_data"] == [{"amount": "30"}]
    assert "on_demand_feature_view/transaction_features" in records[1]["spec_hashes"]


def test_an_apply_is_served_without_a_restart(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", SERVE_YAML)
    fst.ingest(repo, "orders", fst.write_csv(tmp_path / "orders.csv", fst.ORDERS_HEADER, ORDERS))
    fst.run(["materialize", "--end", fst.iso(NOW)], repo)
    s = Server(repo)
    try:
        body = {"feature_service": "late_model", "entities": {"customer_id": ENTITIES}}
        status, out = s.post("/get-online-features", body)
        assert status == 404 and "late_model" in out["error"], out
        (repo / "featherstone.yaml").write_text(SERVE_YAML + (
            "  - name: late_model\n    features: [customer_features:orders_30d]\n"))
        fst.run(["apply"], repo)
        applied = time.monotonic()
        while True:  # seen within the server's refresh interval (1 s), give or take a request
            status, out = s.post("/get-online-features", body)
            if status == 200 or time.monotonic() - applied > 5:
                break
            time.sleep(0.05)
        assert status == 200, out
        assert time.monotonic() - applied < 2.5
        status, expected = s.post("/get-online-features", {
            "features": ["customer_features:orders_30d"],
            "entities": {"customer_id": ENTITIES}})
        assert out["results"] == expected["results"]
        status, catalog = s.get("/features")
        assert "late_model" in [svc["name"] for svc in catalog["feature_services"]]
    finally:
        s.stop()
