"""Lineage and the dashboard end to end: OpenLineage events of ingest and materialize runs,
`featherstone lineage`, and the pages of `featherstone serve` at /ui/ in headless Chromium
driven by playwright-core (fetched by npm into $FST_NODE_CACHE, default
~/.cache/featherstone/node; never a browser download: Debian's /usr/bin/chromium).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess

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
         ("feature_view:customer_features", "feature_service:churn_model")}


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
    assert [r[0]["job"]["name"] for r in runs] == ["ingest.orders"] * 3 + [
        "materialize.customer_features"]
    assert [[e["eventType"] for e in r] for r in runs] == [
        ["START", "COMPLETE"], ["START", "COMPLETE"], ["START", "FAIL"], ["START", "COMPLETE"]]
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
    text = fst.run(["lineage", "churn_model"], repo).stdout
    assert "source:orders -> feature_view:customer_features" in text
    err = fst.run(["lineage", "nope"], repo, ok=False).stderr
    assert "no source, view or service named 'nope'" in err


def test_dashboard_api(repo):
    server = Server(repo)
    try:
        status, page = server.get("/ui/")
        assert status == 200 and "<title>Featherstone</title>" in page
        status, lineage = server.get("/api/lineage")
        assert status == 200 and {(e["from"], e["to"]) for e in lineage["edges"]} == EDGES
        status, quality = server.get("/api/quality?source=orders")
        assert status == 200
        assert [r["quarantined"] for r in quality["runs"]] == [0, 1, 1]
        assert quality["runs"][0]["success_percent"] == 100.0
        assert quality["runs"][1]["success_percent"] < 100.0
        status, skew = server.get("/api/skew")
        assert status == 200 and skew == {"runs": []}
        status, missing = server.get("/api/nope")
        assert status == 404 and "/api/lineage" in missing["error"]
    finally:
        server.stop()


def playwright_core():
    """The folder holding node_modules/playwright-core, installed by npm on first use."""
    if not (NODE_CACHE / "node_modules" / "playwright-core").is_dir():
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_CACHE),
                        PLAYWRIGHT], check=True, capture_output=True, timeout=300)
    return NODE_CACHE / "node_modules"


def test_dashboard_in_chromium(repo, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/setup)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to drive Chromium (scripts/setup)")
    modules = playwright_core()
    server = Server(repo)
    shot = tmp_path / "dashboard.png"
    try:
        p = subprocess.run(
            ["node", str(pathlib.Path(__file__).with_name("dashboard_check.js")),
             f"http://127.0.0.1:{server.port}/ui/", str(shot)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "NODE_PATH": str(modules), "FST_CHROMIUM": CHROMIUM})
    finally:
        server.stop()
    assert p.returncode == 0, p.stderr
    shown = json.loads(p.stdout)
    assert shown["errors"] == [] and shown["loaded"] == "ok", shown
    assert ["feature_views", "customer_features"] in shown["catalog"]
    assert ["sources", "orders"] in shown["catalog"]
    assert ["feature_services", "churn_model"] in shown["catalog"]
    assert {tuple(e) for e in shown["edges"]} == EDGES
    states = {n["id"]: n["state"] for n in shown["nodes"]}
    assert states["source:orders"] == "node failed"
    assert states["feature_view:customer_features"] == "node ok"
    # One point per ingest run: expectations passed (%), quarantined rows, rows written.
    success, quarantined, written = shown["charts"]["orders"]
    assert len(success) == len(quarantined) == len(written) == len(BATCHES)
    assert quarantined == [0, 1, 1] and written == [2, 1, 0]
    assert "No skew run yet" in shown["skew"]
    if os.environ.get("FST_DASHBOARD_SCREENSHOT"):
        shutil.copy(shot, os.environ["FST_DASHBOARD_SCREENSHOT"])


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


def test_events_load_with_the_official_openlineage_client(repo):
    pytest.importorskip("openlineage.client", reason="openlineage-python (scripts/setup)")
    from openlineage.client.serde import Serde
    evs = events(repo)
    assert len(evs) == 8
    for ev in evs:
        rebuilt = Serde.to_dict(as_client_event(ev))
        assert rebuilt["run"]["runId"] == ev["run"]["runId"]
        assert rebuilt["eventType"] == ev["eventType"]


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
        for path in ("/api/lineage", "/api/quality", "/api/skew", "/api/events"):
            status, body = server.get(path)
            assert status == 401 and "/ui/#token=TOKEN" in body["error"], (path, body)
            status, body = server.get(path, token=metrics)
            assert status == 403 and "catalog" in body["error"], (path, body)
            status, _ = server.get(path, token=catalog)
            assert status == 200, path
    finally:
        server.stop()
