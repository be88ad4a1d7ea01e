"""The catalog end to end: metadata in featherstone.yaml, `featherstone catalog search` and
`describe` through the CLI, the same rows from GET /api/catalog/search and /api/objects/NAME,
and the catalog pages of the dashboard in headless Chromium (catalog_check.js; the browser
setup of test_dashboard.py)."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

import fst
from test_dashboard import CHROMIUM, playwright_core
from test_serve import Server

YAML = fst.SHOP_YAML.replace("""    description: A buying customer
""", """    description: A buying customer
    owner: crm
""").replace("""    created_timestamp_field: created_ts
""", """    created_timestamp_field: created_ts
    description: Orders placed in the web shop
    owner: data-eng
    tags: [orders, billing]
""").replace("""    features:
      - {name: amount}
      - {name: order_id}
""", """    description: Spending of each customer
    owner: growth
    tags: [spend]
    labels: {tier: gold}
    features:
      - {name: amount, description: Amount of the latest order in euros, tags: [money]}
      - {name: order_id, description: Identifier of the latest order}
""")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("catalog")
    repo = fst.make_repo(base / "shop", YAML)
    path = fst.write_csv(base / "orders.csv", fst.ORDERS_HEADER, [
        [1, "o1", 10.0, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        [2, "o2", 20.0, "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"]])
    fst.ingest(repo, "orders", path)
    fst.run(["materialize", "--end", "2026-01-05T00:00:00Z"], repo)
    # A second version of the view: a new description and one more feature.
    (repo / "featherstone.yaml").write_text(YAML.replace(
        "description: Spending of each customer", "description: Money spent by each customer"
    ).replace("""      - {name: order_id, description: Identifier of the latest order}
""", """      - {name: order_id, description: Identifier of the latest order}
      - {name: cents, expr: amount * 100, description: Latest amount in cents}
"""))
    plan = fst.run(["plan"], repo).stdout
    assert "description:" in plan and "feature cents added" in plan, plan
    fst.run(["apply"], repo)
    return repo


def search(repo, *args):
    return json.loads(fst.run(["catalog", "search", *args, "--json"], repo).stdout)


def test_search_ranks_the_exact_name_first_and_finds_description_words(repo):
    rows = search(repo, "amount")
    assert rows[0]["name"] == "customer_features:amount" and rows[0]["exact_name"] is True
    assert {r["name"] for r in rows[1:]} == {"customer_features:cents"}
    euros = search(repo, "euros")
    assert [(r["kind"], r["name"]) for r in euros] == [("feature", "customer_features:amount")]
    assert euros[0]["tags"] == ["money"] and euros[0]["owner"] == "growth"
    assert [r["name"] for r in search(repo, "gold")] == ["customer_features"]
    assert [r["name"] for r in search(repo, "--tag", "billing")] == ["orders"]
    assert [r["name"] for r in search(repo, "--owner", "crm")] == ["customer"]
    assert [r["name"] for r in search(repo, "order", "--kind", "source")] == ["orders"]
    assert len(search(repo, "--limit", "2")) == 2


def test_search_text_and_no_match(repo):
    out = fst.run(["catalog", "search", "euros"], repo).stdout
    assert out.splitlines()[0].split() == ["KIND", "NAME", "OWNER", "TAGS", "DESCRIPTION"]
    assert "customer_features:amount" in out and "money" in out
    p = fst.run(["catalog", "search", "custmer"], repo)
    assert p.stdout.strip() == "no object matches 'custmer'; did you mean 'customer'?"
    assert search(repo, "zebra") == []
    err = fst.run(["catalog", "search", "x", "--kind", "table"], repo, ok=False).stderr
    assert "unknown kind 'table'" in err


def test_describe_shows_metadata_versions_lineage_and_data(repo):
    out = fst.run(["describe", "customer_features"], repo).stdout
    assert out.startswith("feature_view customer_features  (version 2,")
    assert "  owner: growth\n" in out and "  tags: spend\n" in out
    assert "  labels: {tier: gold}\n" in out
    assert "  v1  " in out and "  v2  " in out
    assert "feature cents added" in out
    assert "  from: source:orders\n" in out and "  to: feature_service:churn_model\n" in out
    assert "data: materialized up to 2026-01-05T00:00:00Z" in out
    d = json.loads(fst.run(["describe", "customer_features", "--json"], repo).stdout)
    assert [v["version"] for v in d["versions"]] == [1, 2]
    assert d["versions"][0]["changes"] == "created"
    assert "feature cents added" in d["versions"][1]["changes"]
    assert d["description"] == "Money spent by each customer" and d["labels"] == {"tier": "gold"}
    assert d["lineage"]["producers"] == ["source:orders"]
    assert d["data"]["watermark"] == "2026-01-05T00:00:00Z"
    source = json.loads(fst.run(["describe", "orders", "--json"], repo).stdout)
    assert source["data"]["rows"] == 2 and source["data"]["ingests"] == 1
    lineage_nodes = {n["id"]: n for n in source["lineage"]["nodes"]}
    assert lineage_nodes["source:orders"]["last_run"]["outcome"] == "COMPLETE"
    feature = json.loads(fst.run(["describe", "customer_features:amount", "--json"], repo).stdout)
    assert feature["kind"] == "feature" and feature["description"].endswith("in euros")
    err = fst.run(["describe", "custmer_features"], repo, ok=False).stderr
    assert "did you mean 'customer_features'?" in err


def test_cli_and_http_give_the_same_rows(repo):
    server = Server(repo)
    try:
        for query, args in [("q=amount", ["amount"]), ("q=order&kind=feature",
                                                       ["order", "--kind", "feature"]),
                            ("tag=spend", ["--tag", "spend"]), ("q=zebra", ["zebra"])]:
            status, rows = server.get("/api/catalog/search?" + query)
            assert status == 200 and rows == search(repo, *args), query
        status, d = server.get("/api/objects/customer_features")
        assert status == 200
        cli = json.loads(fst.run(["describe", "customer_features", "--json"], repo).stdout)
        for key in ("kind", "name", "version", "owner", "tags", "labels", "spec", "versions",
                    "lineage"):
            assert d[key] == cli[key], key
        status, d = server.get("/api/objects/customer_features%3Aamount")
        assert status == 200 and d["kind"] == "feature"
        status, body = server.get("/api/objects/nope")
        assert status == 404 and "nothing named 'nope'" in body["error"]
        status, body = server.get("/api/catalog/search?kind=table")
        assert status == 400 and "unknown kind" in body["error"]
    finally:
        server.stop()


def test_catalog_pages_in_chromium(repo, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/setup)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to drive Chromium (scripts/setup)")
    modules = playwright_core()
    server = Server(repo)
    try:
        p = subprocess.run(
            ["node", str(pathlib.Path(__file__).with_name("catalog_check.js")),
             f"http://127.0.0.1:{server.port}/ui/", "euros", str(tmp_path / "catalog.png")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "NODE_PATH": str(modules), "FST_CHROMIUM": CHROMIUM})
    finally:
        server.stop()
    assert p.returncode == 0, p.stderr
    shown = json.loads(p.stdout)
    assert shown["errors"] == [], shown
    assert shown["results"] == [["feature", "customer_features:amount"]]
    assert shown["object"] == "customer_features:amount"
    assert "in euros" in shown["page"] and "feature customer_features:amount" in shown["page"]
    # The view's page: its definition with the expression, both versions and the diff.
    assert "cents = amount * 100" in shown["view_page"]
    assert "feature cents added" in shown["view_page"]
    assert "v1" in shown["view_page"] and "v2" in shown["view_page"]
    assert "growth" in shown["view_page"] and "gold" in shown["view_page"]


def test_catalog_endpoints_need_the_catalog_scope(repo, tmp_path):
    tokens = tmp_path / "tokens.yaml"

    def new_token(name, scope):
        return fst.run(["token", "new", "--auth", tokens, "--name", name, "--scope", scope]
                       ).stdout.strip()

    catalog, metrics = new_token("dash", "catalog"), new_token("prom", "metrics")
    server = Server(repo, ["--auth", str(tokens), "--no-feature-log"])
    try:
        for path in ("/api/catalog/search?q=amount", "/api/objects/customer_features"):
            status, body = server.get(path)
            assert status == 401, (path, body)
            status, body = server.get(path, token=metrics)
            assert status == 403 and "catalog" in body["error"], (path, body)
            status, _ = server.get(path, token=catalog)
            assert status == 200, path
    finally:
        server.stop()
