"""Lineage and the dashboard end to end: OpenLineage events of every run kind (apply, ingest,
push, stream, materialize, historical, training-set), the `lineage:` sinks (file, an HTTP
collector on loopback, one that is down), `featherstone lineage`, the JSON API, and the pages
of `featherstone serve` at /ui/ in headless Chromium driven by playwright-core (fetched by npm
into $FST_NODE_CACHE, default ~/.cache/featherstone/node; never a browser download: Debian's
/usr/bin/chromium). FST_DASHBOARD_SCREENSHOTS=docs/img keeps the pages' screenshots.
"""
import http.server
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

import fst
from test_serve import Server

PLAYWRIGHT = "playwright-core@1.65.1"
NODE_CACHE = pathlib.Path(os.environ.get("FST_NODE_CACHE",
                                         pathlib.Path.home() / ".cache/featherstone/node"))
CHROMIUM = os.environ.get("FST_CHROMIUM", "/usr/bin/chromium")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

YAML = fst.SHOP_YAML.replace("""      - {name: created_ts, type: timestamp}
feature_views:""", """      - {name: created_ts, type: timestamp}
    contract:
      policy: quarantine
      expectations:
        - {expect: not_null, column: amount}
        - {expect: between, column: amount, min: 0, max: 1000}
feature_views:""")
BATCHES = [
    [[1, "o1", 10.0, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
     [2, "o2", 20.0, "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"]],
    [[1, "o3", 30.0, "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"],
     [3, "o4", None, "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"]],  # quarantined
    [[2, "o5", 5000.0, "2026-01-04T00:00:00Z", "2026-01-04T00:00:00Z"]],  # all quarantined
]
EDGES = {("source:orders", "feature_view:customer_features"),
         ("feature_view:customer_features", "feature_service:churn_model"),
         ("feature_service:churn_model", "logged_requests:churn_model")}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("dashboard")
    repo = fst.make_repo(base / "shop", YAML)
    for i, rows in enumerate(BATCHES):
        path = fst.write_csv(base / f"orders{i}.csv", fst.ORDERS_HEADER, rows)
        fst.ingest(repo, "orders", path, ok=i < 2)
    fst.run(["materialize", "--end", "2026-01-05T00:00:00Z"], repo)
    return repo


def events(repo, *args):
    out = fst.run(["lineage", "events", *args], repo).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_every_run_has_start_then_complete_or_fail(repo):
    evs = events(repo)
    by_run = {}
    for ev in evs:
        for key in ("eventType", "eventTime", "run", "job", "inputs", "outputs", "producer",
                    "schemaURL"):
            assert key in ev, (key, ev)
        assert UUID.fullmatch(ev["run"]["runId"])
        assert ev["job"]["namespace"] == "shop"
        by_run.setdefault(ev["run"]["runId"], []).append(ev)
    runs = list(by_run.values())
    assert [r[0]["job"]["name"] for r in runs] == ["apply"] + ["ingest.orders"] * 3 + [
        "materialize.customer_features"]
    assert [[e["eventType"] for e in r] for r in runs] == [["START", "COMPLETE"]] * 3 + [
        ["START", "FAIL"], ["START", "COMPLETE"]]
    applied = runs[0][1]
    assert applied["inputs"][0]["name"] == str(repo / "featherstone.yaml")
    assert {d["name"] for d in applied["outputs"]} >= {
        "registry/entity/customer", "registry/source/orders",
        "registry/feature_view/customer_features", "registry/feature_service/churn_model"}
    runs = runs[1:]
    fail = runs[2][1]
    assert "all 1 rows were quarantined" in fail["run"]["facets"]["errorMessage"]["message"]
    # The contract's results on the ingest's input: metrics and assertions.
    second = runs[1][1]
    (source_file,) = second["inputs"]
    assert source_file["namespace"] == "file" and source_file["name"].endswith("orders1.csv")
    metrics = source_file["inputFacets"]["dataQualityMetrics"]
    assert metrics["rowCount"] == 2
    assert metrics["columnMetrics"]["amount"]["nullCount"] == 1
    assert metrics["columnMetrics"]["amount"]["min"] == 30.0
    assertions = source_file["inputFacets"]["dataQualityAssertions"]["assertions"]
    not_null = [a for a in assertions if a["column"] == "amount" and "null" in a["assertion"]]
    assert not_null and not_null[0]["success"] is False
    for facet in (metrics, source_file["inputFacets"]["dataQualityAssertions"]):
        assert facet["_producer"] and facet["_schemaURL"].startswith("https://openlineage.io/")
    (offline,) = second["outputs"]
    assert offline == {"namespace": "shop", "name": "offline/orders", "facets": {},
                       "outputFacets": {"outputStatistics": offline["outputFacets"][
                           "outputStatistics"]}}
    assert offline["outputFacets"]["outputStatistics"]["rowCount"] == 1
    materialized = runs[3][1]
    assert materialized["inputs"][0]["name"] == "offline/orders"
    assert materialized["outputs"][0]["name"] == "online/customer_features"
    assert len(events(repo, "--limit", "2")) == 2
    assert {e["job"]["name"] for e in events(repo, "--job", "materialize.customer_features")} == {
        "materialize.customer_features"}


def test_lineage_verb_shows_the_graph_with_last_runs(repo):
    graph = json.loads(fst.run(["lineage", "--json"], repo).stdout)
    assert {(e["from"], e["to"]) for e in graph["edges"]} == EDGES
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["source:orders"]["last_run"]["outcome"] == "FAIL"
    assert nodes["feature_view:customer_features"]["last_run"]["outcome"] == "COMPLETE"
    assert nodes["feature_view:customer_features"]["last_run"]["rows"] == 2
    assert nodes["feature_service:churn_model"]["last_run"] is None
    assert nodes["logged_requests:churn_model"]["kind"] == "logged_requests"
    text = fst.run(["lineage", "churn_model"], repo).stdout
    assert "source:orders -> feature_view:customer_features" in text
    err = fst.run(["lineage", "nope"], repo, ok=False).stderr
    assert "no source, view or service named 'nope'" in err


def cli_json(repo, *args):
    return json.loads(fst.run([*args, "--json"], repo).stdout)


def without(value, *keys):
    """`value` with the time-dependent `keys` dropped at every level."""
    if isinstance(value, dict):
        return {k: without(v, *keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, *keys) for v in value]
    return value


def test_dashboard_api_is_what_the_cli_prints_with_json(repo):
    server = Server(repo)
    try:
        status, page = server.get("/ui/")
        assert status == 200 and "<title>Featherstone</title>" in page
        status, lineage = server.get("/api/lineage")
        assert status == 200 and {(e["from"], e["to"]) for e in lineage["edges"]} == EDGES
        assert lineage == cli_json(repo, "lineage")
        status, quality = server.get("/api/quality?source=orders")
        assert status == 200 and quality == cli_json(repo, "quality", "orders")
        assert [r["quarantined"] for r in quality] == [0, 1, 1]
        assert quality[0]["success_percent"] == 100.0 and quality[1]["success_percent"] < 100.0
        assert quality[1]["metrics"]["columns"]["amount"]["null_count"] == 1
        status, limited = server.get("/api/quality?source=orders&limit=2")
        assert limited == cli_json(repo, "quality", "orders", "--limit", "2") == quality[1:]
        status, breakers = server.get("/api/breakers")
        assert status == 200 and breakers == cli_json(repo, "breaker", "status") == []
        status, quarantine = server.get("/api/quarantine?source=orders")
        assert status == 200 and quarantine == cli_json(repo, "quarantine", "show", "orders")
        assert quarantine["waiting"] == 2 and len(quarantine["rows"]) == 2
        assert {r["order_id"] for r in quarantine["rows"]} == {"o4", "o5"}
        status, one = server.get("/api/quarantine?source=orders&limit=1")
        assert len(one["rows"]) == 1 and one["waiting"] == 2
        status, missing = server.get("/api/quarantine?source=nope")
        assert status == 404 and "nope" in missing["error"]
        status, freshness = server.get("/api/freshness")
        assert status == 200
        assert without(freshness, "now", "lag_seconds", "age_seconds") == without(
            cli_json(repo, "freshness"), "now", "lag_seconds", "age_seconds")
        (view,) = freshness["views"]
        assert view["view"] == "customer_features" and view["watermark"].startswith("2026-01-0")
        assert view["pending_ingests"] == 0 and freshness["streams"] == []
        status, skew = server.get("/api/skew")
        assert status == 200 and skew == {"runs": []}
        status, missing = server.get("/api/nope")
        assert status == 404 and "/api/freshness" in missing["error"]
    finally:
        server.stop()


def playwright_core():
    """The folder holding node_modules/playwright-core, installed by npm on first use."""
    if not (NODE_CACHE / "node_modules" / "playwright-core").is_dir():
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_CACHE),
                        PLAYWRIGHT], check=True, capture_output=True, timeout=300)
    return NODE_CACHE / "node_modules"


QUICKSTART_CONTRACT = """\
    contract:
      policy: quarantine
      expectations:
        - {expect: not_null, column: amount}
        - {expect: between, column: amount, min: 0, max: 10000}
      breaker: {threshold: 0.5, half_open_after: 10m}
"""
QUICKSTART_HEADER = ["customer_id", "order_id", "amount", "status", "items", "event_ts",
                     "created_ts"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """The quickstart repo (`featherstone init`) with a contract on orders: its data, then a
    batch with a quarantined row, then one that opens the breaker; materialized, a training set
    built, served."""
    base = tmp_path_factory.mktemp("quickstart")
    repo = base / "shop"
    fst.run(["init", repo, "--customers", "300", "--days", "90"])
    yaml_path = repo / "featherstone.yaml"
    text = yaml_path.read_text()
    anchor = "      - {name: created_ts, type: timestamp}\n"
    assert anchor in text
    yaml_path.write_text(text.replace(anchor, anchor + QUICKSTART_CONTRACT, 1))
    fst.run(["apply"], repo)
    fst.ingest(repo, "orders", repo / "data" / "orders.csv")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    partly = fst.write_csv(base / "partly_bad.csv", QUICKSTART_HEADER, [
        [1, "x1", 12.5, "paid", 1, now, now], [2, "x2", -5.0, "paid", 1, now, now],
        [3, "x3", 40.0, "paid", 2, now, now], [4, "x4", 8.0, "paid", 1, now, now]])
    fst.ingest(repo, "orders", partly)
    burst = fst.write_csv(base / "burst.csv", QUICKSTART_HEADER, [
        [5, f"y{i}", 99999.0, "paid", 1, now, now] for i in range(3)])
    err = fst.ingest(repo, "orders", burst, ok=False).stderr
    assert "breaker" in err, err
    fst.run(["materialize", "--end", now], repo)
    fst.run(["historical", "--entities", repo / "data" / "spine.csv", "--service", "churn_model",
             "--out", base / "train.csv"], repo)
    return repo


def test_dashboard_pages_in_chromium(quickstart, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/setup)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to drive Chromium (scripts/setup)")
    modules = playwright_core()
    shots = pathlib.Path(os.environ.get("FST_DASHBOARD_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    server = Server(quickstart)
    try:
        _, lineage = server.get("/api/lineage")
        _, quality = server.get("/api/quality?source=orders&limit=200")
        _, quarantined = server.get("/api/quarantine?source=orders&limit=1000")
        p = subprocess.run(
            ["node", str(pathlib.Path(__file__).with_name("dashboard_check.js")),
             f"http://127.0.0.1:{server.port}/ui/", str(shots), "orders"],
            capture_output=True, text=True, timeout=180,
            env={**os.environ, "NODE_PATH": str(modules), "FST_CHROMIUM": CHROMIUM})
    finally:
        server.stop()
    assert p.returncode == 0, p.stderr
    shown = json.loads(p.stdout)
    assert shown["errors"] == [] and shown["loaded"] == "ok", shown
    # Lineage: the graph of /api/lineage, every node linking to its object's page.
    edges = {tuple(e) for e in shown["lineage"]["edges"]}
    assert edges == {(e["from"], e["to"]) for e in lineage["edges"]}
    assert EDGES <= edges
    nodes = {n["id"]: n for n in shown["lineage"]["nodes"]}
    assert set(nodes) == {n["id"] for n in lineage["nodes"]}
    assert nodes["source:orders"]["state"] == "node failed"  # the burst's run
    assert nodes["feature_view:customer_features"]["state"] == "node ok"
    assert nodes["source:orders"]["route"] == "#object/orders"
    assert shown["lineage"]["visible"] and shown["catalog"]["visible"]
    assert ["sources", "orders"] in shown["catalog"]["rows"]
    # Quality: one point per run in every chart; the breaker opened by the burst.
    runs = [r["run"] for r in quality]
    assert len(runs) == 3 and [r["outcome"] for r in quality][-1] == "breaker_opened"
    charts = shown["quality"]["charts"]["orders"]
    for name, chart in charts.items():
        assert len(chart["labels"]) == len(runs), name
        for label, data in chart["series"].items():
            assert len(data) == len(runs), (name, label)
    assert charts["rows"]["series"]["quarantined"] == [r["quarantined"] for r in quality]
    assert charts["rows"]["series"]["read"][1:] == [4, 3]
    assert set(charts["nulls"]["series"]) >= {"amount", "customer_id"}
    assert "amount" in charts["means"]["series"]
    assert "column_values_to_not_be_null (amount)" in charts["rules"]["series"]
    assert "breaker OPEN" in shown["quality"]["badges"]
    assert [t[1] for t in shown["quality"]["transitions"]] == ["OPEN"]
    assert "#quarantine/orders" in shown["quality"]["quarantineLinks"]
    # The quarantined rows behind the link.
    q = shown["quarantine"]
    assert q["visible"] and q["hash"] == "#quarantine/orders" and "__reasons" in q["header"]
    assert q["rows"] == len(quarantined["rows"]) == quarantined["waiting"] > 1
    # Freshness: the online view's watermark.
    f = shown["freshness"]
    assert f["visible"] and f["views"][0][0] == "customer_features"
    # The quickstart's Kafka source, never consumed here.
    assert "order_events" in f["streams"] and "nothing consumed" in f["streams"]
    assert shown["clicked"]["hash"] == "#object/orders"
    for page in ("lineage", "quality", "quarantine", "freshness"):
        assert (shots / f"dashboard-{page}.png").stat().st_size > 10_000, page


def as_client_event(ev):
    """`ev` rebuilt with the official OpenLineage client's generated classes, whose validators
    check the run id is a UUID and the event time a date-time, and whose constructors require
    each facet's required fields."""
    from openlineage.client import event_v2
    from openlineage.client.generated import (data_quality_assertions_dataset as assertions,
                                              data_quality_metrics_input_dataset as metrics,
                                              error_message_run, output_statistics_output_dataset)

    def facet(cls, body, **fields):
        assert body["_schemaURL"] == cls._get_schema(), body["_schemaURL"]
        return cls(**fields, producer=body["_producer"])

    def input_facets(facets):
        out = {}
        if "dataQualityMetrics" in facets:
            m = facets["dataQualityMetrics"]
            out["dataQualityMetrics"] = facet(
                metrics.DataQualityMetricsInputDatasetFacet, m, rowCount=m["rowCount"],
                columnMetrics={c: metrics.ColumnMetrics(**v) for c, v in m["columnMetrics"].items()})
        if "dataQualityAssertions" in facets:
            a = facets["dataQualityAssertions"]
            out["dataQualityAssertions"] = facet(
                assertions.DataQualityAssertionsDatasetFacet, a,
                assertions=[assertions.Assertion(**x) for x in a["assertions"]])
        assert set(out) == set(facets), facets
        return out

    def output_facets(facets):
        out = {}
        if "outputStatistics" in facets:
            s = facets["outputStatistics"]
            out["outputStatistics"] = facet(
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet, s,
                rowCount=s["rowCount"])
        assert set(out) == set(facets), facets
        return out

    run_facets = {}
    if "errorMessage" in ev["run"]["facets"]:
        e = ev["run"]["facets"]["errorMessage"]
        run_facets["errorMessage"] = facet(error_message_run.ErrorMessageRunFacet, e,
                                           message=e["message"],
                                           programmingLanguage=e["programmingLanguage"])
    event = event_v2.RunEvent(
        eventType=event_v2.RunState(ev["eventType"]), eventTime=ev["eventTime"],
        run=event_v2.Run(runId=ev["run"]["runId"], facets=run_facets),
        job=event_v2.Job(namespace=ev["job"]["namespace"], name=ev["job"]["name"]),
        inputs=[event_v2.InputDataset(namespace=d["namespace"], name=d["name"],
                                      inputFacets=input_facets(d.get("inputFacets", {})))
                for d in ev["inputs"]],
        outputs=[event_v2.OutputDataset(namespace=d["namespace"], name=d["name"],
                                        outputFacets=output_facets(d.get("outputFacets", {})))
                 for d in ev["outputs"]],
        producer=ev["producer"])
    assert event.schemaURL == ev["schemaURL"]
    return event


KINDS_YAML = YAML.replace("""feature_views:""", """  - name: clicks
    kind: kafka
    format: json
    bootstrap_servers: 127.0.0.1:9
    topic: clicks
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: event_ts, type: timestamp}
    contract:
      policy: quarantine
      breaker: {threshold: 0.5}
      expectations:
        - {expect: not_null, column: customer_id}
feature_views:""", 1)


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """A repo where every kind of run ran, completing or failing."""
    base = tmp_path_factory.mktemp("kinds")
    repo = fst.make_repo(base / "shop", KINDS_YAML)  # apply: COMPLETE
    # apply: FAIL (a column's type changed under data already written)
    fst.ingest(repo, "orders", fst.write_csv(base / "orders.csv", fst.ORDERS_HEADER, BATCHES[0]))
    (repo / "featherstone.yaml").write_text(KINDS_YAML.replace(
        "{name: order_id, type: string}", "{name: order_id, type: int64}"))
    fst.run(["apply"], repo, ok=False)
    (repo / "featherstone.yaml").write_text(KINDS_YAML)
    fst.run(["materialize", "--end", "2026-01-05T00:00:00Z"], repo)
    fst.historical(repo, [[1, "2026-01-03T00:00:00Z"]], service="churn_model")
    fst.run(["push", "orders", "-"], repo, input=json.dumps(
        {"customer_id": 3, "order_id": "p1", "amount": 7.0, "event_ts": "2026-01-04T00:00:00Z",
         "created_ts": "2026-01-04T00:00:00Z"}) + "\n")
    fst.run(["push", "clicks", "-"], repo, input="garbage\nmore garbage\n", ok=False)
    stream = fst.run(["stream", "clicks", "--until-idle", "1s"], repo, ok=False).stderr
    training = fst.run(["training-set", "--service", "churn_model", "--labels", "orders",
                        "--out", base / "set.csv"], repo, ok=False).stderr
    return repo, {"stream": stream, "training_set": training}


def by_run(evs):
    runs = {}
    for ev in evs:
        runs.setdefault(ev["run"]["runId"], []).append(ev)
    return list(runs.values())


def test_every_run_kind_is_a_start_then_complete_or_fail(kinds):
    repo, errors = kinds
    runs = by_run(events(repo))
    seen = [(r[0]["job"]["name"], [e["eventType"] for e in r]) for r in runs]
    assert seen == [
        ("apply", ["START", "COMPLETE"]), ("ingest.orders", ["START", "COMPLETE"]),
        ("apply", ["START", "FAIL"]), ("materialize.customer_features", ["START", "COMPLETE"]),
        ("historical", ["START", "COMPLETE"]), ("push.orders", ["START", "COMPLETE"]),
        ("materialize.customer_features", ["START", "COMPLETE"]),  # the push's refresh
        ("push.clicks", ["START", "FAIL"]), ("stream.clicks", ["START", "FAIL"]),
        ("training_set.churn_model", ["START", "FAIL"])], seen
    fails = {r[0]["job"]["name"]: r[1]["run"]["facets"]["errorMessage"]["message"]
             for r in runs if r[1]["eventType"] == "FAIL"}
    assert "schema change refused" in fails["apply"]
    assert "circuit breaker" in fails["push.clicks"]
    assert "circuit breaker is OPEN" in fails["stream.clicks"]
    assert fails["stream.clicks"] in errors["stream"]
    assert fails["training_set.churn_model"] in errors["training_set"]
    jobs = {r[0]["job"]["name"]: r for r in runs}
    historical = jobs["historical"][1]
    assert [d["name"] for d in historical["inputs"]] == ["offline/orders"]
    assert historical["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    pushed = jobs["push.orders"][1]
    assert pushed["inputs"][0]["name"] == "input/stdin"
    assert pushed["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    clicks = jobs["stream.clicks"][0]["inputs"][0]
    assert (clicks["namespace"], clicks["name"]) == ("kafka://127.0.0.1:9", "clicks")
    assert [d["name"] for d in jobs["training_set.churn_model"][0]["inputs"]] == [
        "log/churn_model", "offline/orders"]
    # The contract's facets on the input of a push where it ran.
    assert "dataQualityAssertions" in jobs["push.clicks"][1]["inputs"][0]["inputFacets"]


def test_every_event_loads_with_the_official_openlineage_client(repo, kinds):
    pytest.importorskip("openlineage.client", reason="openlineage-python (scripts/setup)")
    from openlineage.client.serde import Serde
    evs = events(repo) + events(kinds[0])
    assert {e["job"]["name"].split(".")[0] for e in evs} == {
        "apply", "ingest", "materialize", "historical", "push", "stream", "training_set"}
    assert {e["eventType"] for e in evs} == {"START", "COMPLETE", "FAIL"}
    for ev in evs:
        rebuilt = Serde.to_dict(as_client_event(ev))
        assert rebuilt["run"]["runId"] == ev["run"]["runId"]
        assert rebuilt["eventType"] == ev["eventType"]
        if ev["eventType"] == "FAIL":
            assert rebuilt["run"]["facets"]["errorMessage"]["message"]


def test_the_file_sink_holds_exactly_the_registrys_events(kinds):
    repo, _ = kinds
    stored = fst.run(["lineage", "events"], repo).stdout.splitlines()
    written = (repo / ".featherstone" / "lineage.jsonl").read_text().splitlines()
    assert len(written) == 20 and sorted(written) == sorted(stored)


class Collector:
    """A lineage collector on 127.0.0.1 (Python's http.server): records each POST."""

    def __init__(self):
        self.received = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], body.decode()))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_http_sink_posts_every_event_to_the_collector(tmp_path):
    collector = Collector()
    try:
        repo = fst.make_repo(tmp_path / "shop", YAML.replace("registry: sqlite", (
            "registry: sqlite\nlineage: {http: http://127.0.0.1:%d}" % collector.port)))
        fst.ingest(repo, "orders", fst.write_csv(tmp_path / "o.csv", fst.ORDERS_HEADER,
                                                 BATCHES[0]))
        fst.run(["materialize", "--end", "2026-01-05T00:00:00Z"], repo)
    finally:
        collector.stop()
    stored = [json.loads(line) for line in
              fst.run(["lineage", "events"], repo).stdout.splitlines()]
    assert len(stored) == 6
    assert [(path, ctype) for path, ctype, _ in collector.received] == [
        ("/api/v1/lineage", "application/json")] * 6
    assert [json.loads(body) for _, _, body in collector.received] == stored
    # `lineage: {http: ...}` alone: no file.
    assert not (repo / ".featherstone" / "lineage.jsonl").exists()
    assert "not taken" not in fst.run(["lineage"], repo).stdout


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_sink_that_is_down_neither_fails_nor_holds_the_run_and_is_counted(tmp_path):
    port = closed_port()
    repo = fst.make_repo(tmp_path / "shop", YAML.replace("registry: sqlite", (
        "registry: sqlite\nlineage: {file: lineage/events.jsonl, http: http://127.0.0.1:%d}"
        % port)))
    began = time.monotonic()
    fst.ingest(repo, "orders", fst.write_csv(tmp_path / "o.csv", fst.ORDERS_HEADER, BATCHES[0]))
    assert time.monotonic() - began < 5
    stored = fst.run(["lineage", "events"], repo).stdout.splitlines()
    assert len(stored) == 4  # apply and ingest, START and COMPLETE
    assert sorted((repo / "lineage" / "events.jsonl").read_text().splitlines()) == sorted(stored)
    failed = [json.loads(line) for line in
              (repo / ".featherstone" / "lineage_failed.jsonl").read_text().splitlines()]
    assert [(f["sink"], f["job"], f["event_type"]) for f in failed] == [
        ("http", "apply", "START"), ("http", "apply", "COMPLETE"),
        ("http", "ingest.orders", "START"), ("http", "ingest.orders", "COMPLETE")]
    assert all(f"127.0.0.1:{port}" in f["error"] for f in failed)
    assert "4 lineage events were not taken by a sink" in fst.run(["lineage"], repo).stdout
    server = Server(repo)
    try:
        status, metrics = server.get("/metrics")
    finally:
        server.stop()
    assert status == 200 and "\nfst_lineage_failed_events_total 4\n" in metrics


@pytest.mark.parametrize("setting, message", [
    ("lineage: sometimes", "featherstone.yaml:4:10: 'lineage' is 'sometimes'; expected `none`"),
    ("lineage: {fil: x.jsonl}",
     "featherstone.yaml:4:11: unknown key 'fil' in 'lineage'; did you mean 'file'?"),
    ("lineage: {}", "featherstone.yaml:4:10: 'lineage' is a map without sinks"),
    ("lineage: {http: ftp://host}",
     "featherstone.yaml:4:17: lineage.http: lineage HTTP endpoint 'ftp://host': not an http://"),
    ("lineage: {file: [a]}", "featherstone.yaml:4:17: 'lineage.file' must be a non-empty string"),
])
def test_a_wrong_lineage_setting_is_refused_where_it_is_written(tmp_path, setting, message):
    repo = fst.make_repo(tmp_path / "shop", YAML.replace("online_store: rocksdb", (
        "online_store: rocksdb\n" + setting)), apply=False)
    for verb in (["apply"], ["lineage"]):
        err = fst.run(verb, repo, ok=False).stderr
        assert message in err, err
    assert not (repo / ".featherstone").exists()  # refused before anything is created


def test_lineage_none_keeps_the_events_in_the_registry_only(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML.replace("registry: sqlite",
                                                         "registry: sqlite\nlineage: none"))
    assert len(events(repo)) == 2
    assert not (repo / ".featherstone" / "lineage.jsonl").exists()


def test_dashboard_data_needs_the_catalog_scope(repo, tmp_path):
    tokens = tmp_path / "tokens.yaml"

    def new_token(name, scope):
        p = fst.run(["token", "new", "--auth", tokens, "--name", name, "--scope", scope])
        return p.stdout.strip()

    catalog, metrics = new_token("dash", "catalog"), new_token("prom", "metrics")
    server = Server(repo, ["--auth", str(tokens), "--no-feature-log"])
    try:
        status, page = server.get("/ui/")  # the page holds no data: no token needed
        assert status == 200 and "app.js" in page
        for path in ("/api/lineage", "/api/quality", "/api/breakers", "/api/freshness",
                     "/api/quarantine?source=orders", "/api/skew", "/api/events"):
            status, body = server.get(path)
            assert status == 401 and "/ui/#token=TOKEN" in body["error"], (path, body)
            status, body = server.get(path, token=metrics)
            assert status == 403 and "catalog" in body["error"], (path, body)
            status, _ = server.get(path, token=catalog)
            assert status == 200, path
    finally:
        server.stop()
