"""featherstone.Client against a real `featherstone serve`: the same calls give the same
OnlineResponse, PushResult and exception classes (with the same messages) as FeatureStore in
process. The served repo and its twin (read in process) start from the same definitions and
data; each server runs bounded in time and is always stopped."""

import contextlib
import datetime as dt
import os
import random
import re
import select
import socket
import subprocess
import time

import pandas as pd
import pytest

import featherstone as fst
import shop

ON_DEMAND = """\
on_demand_feature_views:
  - name: basket_features
    request_schema:
      - {name: basket, type: float64}
    sources: [customer_features]
    features:
      - {name: basket_vs_last, expr: "basket - customer_features.amount"}
"""
YAML = shop.SHOP_YAML + ON_DEMAND
END = shop.BASE + dt.timedelta(days=90)
AT = shop.BASE + dt.timedelta(days=95)
START_SECONDS = 20


@contextlib.contextmanager
def serve(repo, *args):
    """Runs `featherstone serve --port 0` on `repo`; yields its URL; always stops it."""
    proc = subprocess.Popen([shop.BIN, "-C", str(repo), "serve", "--port", "0", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        lines = []
        url = None
        while url is None:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                pytest.fail(f"featherstone serve did not start: {''.join(lines)}", pytrace=False)
            if select.select([proc.stderr], [], [], left)[0]:
                line = proc.stderr.readline()
                lines.append(line)
                found = re.search(r"serving .* on (http://\S+)", line)
                url = found.group(1) if found else None
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def make_repo(path, csv):
    path.mkdir()
    (path / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(path)
    fs.apply()
    fs.ingest("orders", csv)
    fs.materialize(end=END)
    return fs


@pytest.fixture(scope="module")
def served(tmp_path_factory, cli_bin_module):
    """(Client of the served repo, FeatureStore of its twin)."""
    tmp = tmp_path_factory.mktemp("client")
    csv = shop.write_orders_csv(tmp / "orders.csv", shop.make_orders())
    make_repo(tmp / "served", csv).close()
    twin = make_repo(tmp / "twin", csv)
    with serve(tmp / "served") as url, fst.Client(url, timeout=30) as client:
        yield client, twin
    twin.close()


@pytest.fixture(scope="module")
def cli_bin_module():
    if not os.access(shop.BIN, os.X_OK):
        pytest.fail(f"no featherstone binary at {shop.BIN} (set FST_BIN)", pytrace=False)
    return shop.BIN


def entities(seed, n=40):
    rng = random.Random(seed)
    return [{"customer_id": rng.randrange(1, 90)} for _ in range(n)]  # 61..89 are unknown


def test_lookup_by_features_equals_store(served):
    client, fs = served
    rows = entities(1)
    got = client.get_online_features(shop.FEATURES, rows, at=AT)
    want = fs.get_online_features(shop.FEATURES, rows, at=AT)
    assert isinstance(got, fst.OnlineResponse)
    assert got.rows == want.rows
    assert got.to_dict() == want.to_dict()
    assert any(r["amount"] is None for r in got.rows)  # unknown keys: NOT_FOUND -> None
    assert any(r["order_id"] is not None for r in got.rows)


def test_lookup_by_service_and_full_names_equals_store(served):
    client, fs = served
    rows = entities(2)
    for kwargs in ({"service": "churn_model"}, {"service": "churn_model", "at": AT},
                   {"service": "churn_model", "at": AT.isoformat(), "full_feature_names": True}):
        got = client.get_online_features(entity_rows=rows, **kwargs)
        assert got.rows == fs.get_online_features(entity_rows=rows, **kwargs).rows, kwargs
    # Entity rows as a DataFrame and as a dict of lists, keys as text.
    frame = pd.DataFrame({"customer_id": [3, 4, 500]})
    assert (client.get_online_features(shop.FEATURES, frame, at=AT).rows
            == fs.get_online_features(shop.FEATURES, frame, at=AT).rows)
    columns = {"customer_id": ["3", "4"]}
    assert (client.get_online_features(shop.FEATURES, columns, at=AT).rows
            == fs.get_online_features(shop.FEATURES, columns, at=AT).rows)
    assert client.get_online_features(shop.FEATURES, [], at=AT).rows == []


def test_on_demand_request_data_equals_store(served):
    client, fs = served
    rng = random.Random(3)
    rows = [{"customer_id": rng.randrange(1, 70), "basket": round(rng.uniform(1, 300), 2)}
            for _ in range(25)]
    features = ["customer_features:amount", "basket_features:basket_vs_last"]
    got = client.get_online_features(features, rows, at=AT)
    assert got.rows == fs.get_online_features(features, rows, at=AT).rows
    assert any(r["basket_vs_last"] is not None for r in got.rows)
    assert set(got.rows[0]) == {"customer_id", "amount", "basket_vs_last"}


def error_of(fn):
    with pytest.raises(fst.FeatherstoneError) as caught:
        fn()
    return caught.value


@pytest.mark.parametrize("call", [
    lambda s: s.get_online_features(service="nope", entity_rows=[{"customer_id": 1}]),
    lambda s: s.get_online_features(["customer_features:nope"], [{"customer_id": 1}]),
    lambda s: s.get_online_features(["nope:amount"], [{"customer_id": 1}]),
    lambda s: s.get_online_features(["customer_features:nope"], []),
    lambda s: s.get_online_features(shop.FEATURES, [{"customer_id": "abc"}]),
    lambda s: s.get_online_features(shop.FEATURES, [{"customer_id": None}]),
    lambda s: s.get_online_features(shop.FEATURES, [{"customer_id": 1}], service="churn_model"),
    lambda s: s.get_online_features(shop.FEATURES, [{"customer_id": 1}], at="yesterday"),
    lambda s: s.push("nope", {"customer_id": [1]}),
    lambda s: s.push("orders", {"customer_id": [1]}, to="elsewhere"),
], ids=["service", "feature", "view", "feature_no_rows", "key_type", "key_none", "both",
        "at", "push_source", "push_to"])
def test_errors_are_the_store_errors(served, call):
    client, fs = served
    remote, local = error_of(lambda: call(client)), error_of(lambda: call(fs))
    assert isinstance(remote, type(local)), (remote, local)
    assert str(remote) == str(local)
    assert not isinstance(remote, fst.ServerUnreachableError)


def test_push_then_lookup_equals_store(served):
    client, fs = served
    event = END + dt.timedelta(days=2)
    frame = pd.DataFrame({
        "customer_id": [1001, 1002, 1001, 3],
        "order_id": ["p1", "p2", "p3", "p4"],
        "amount": [10.5, None, 30.25, 7.0],
        "event_ts": [event, event, event + dt.timedelta(hours=1), event],
        "created_ts": [event] * 4,
    })
    got = client.push("orders", frame)
    want = fs.push("orders", frame)
    assert isinstance(got, fst.PushResult)
    assert got == want
    assert got.rows_written == 4 and got.rows_quarantined == 0
    assert got.materialized == {"customer_features": 3}
    rows = [{"customer_id": k} for k in (1001, 1002, 3, 4, 1003)]
    read = client.get_online_features(shop.FEATURES, rows, at=AT)
    assert read.rows == fs.get_online_features(shop.FEATURES, rows, at=AT).rows
    assert read["amount"][:3] == [30.25, None, 7.0]
    assert read["order_id"][:3] == ["p3", "p2", "p4"]

    offline = {"customer_id": [1003], "order_id": ["p5"], "amount": [1.0],
               "event_ts": [event.isoformat()]}
    got = client.push("orders", offline, to="offline")
    assert got == fs.push("orders", offline, to="offline")
    assert got.materialized == {}
    assert client.get_online_features(shop.FEATURES, [{"customer_id": 1003}],
                                      at=AT)["amount"] == [None]


def test_health_metrics_features(served):
    client, fs = served
    assert client.health() == {"status": "ok"}
    client.get_online_features(service="churn_model", entity_rows=[{"customer_id": 1}])
    metrics = client.metrics()
    assert "fst_http_requests_total" in metrics
    assert "fst_online_rows_served_total" in metrics
    catalog = client.features()
    assert [v["name"] for v in catalog["feature_views"]] == ["customer_features"]
    assert [v["name"] for v in catalog["feature_services"]] == ["churn_model"]
    assert [v["name"] for v in catalog["on_demand_feature_views"]] == ["basket_features"]
    hashes = {(o.kind, o.name): o.hash for o in fs.list_objects()}
    assert catalog["feature_views"][0]["spec_hash"] == hashes[("feature_view",
                                                               "customer_features")]


def test_unknown_endpoint_is_not_found(served):
    client, _ = served
    error = error_of(lambda: client._json("GET", "/nope", None, idempotent=True))
    assert isinstance(error, fst.NotFoundError)
    assert error.http_status == 404
    assert "no endpoint /nope" in str(error)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    client = fst.Client(url, timeout=5)
    for call in (client.health, lambda: client.get_online_features(
            shop.FEATURES, [{"customer_id": 1}])):
        error = error_of(call)
        assert isinstance(error, fst.ServerUnreachableError)
        assert isinstance(error, ConnectionError)
        assert url in str(error) and "refused" in str(error)


def token_args(tmp_path):
    """(serve arguments, an accepted token) for the binary's flavour of authentication:
    scoped tokens (`--auth FILE`, `featherstone token new`) or a plain token file."""
    if "--auth" in shop.cli(["serve", "--help"]).stdout:
        tokens = tmp_path / "tokens.yaml"
        token = shop.cli(["token", "new", "--auth", tokens, "--name", "churn-api", "--scope",
                          "read:service/churn_model"]).stdout.strip()
        return ["--auth", tokens], token
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token-1\n")
    return ["--token-file", tokens], "s3cret-token-1"


def test_token_refused_is_permission_denied(tmp_path, cli_bin):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(shop.SHOP_YAML)
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.close()
    args, token = token_args(tmp_path)
    by_service = {"service": "churn_model", "entity_rows": [{"customer_id": 1}]}
    with serve(repo, *args) as url:
        for client in (fst.Client(url), fst.Client(url, token="wrong")):
            assert client.health() == {"status": "ok"}  # needs no token
            error = error_of(lambda: client.get_online_features(**by_service))
            assert isinstance(error, fst.PermissionDeniedError)
            assert isinstance(error, PermissionError)
            assert error.http_status in (401, 403)
            assert "token" in str(error)
        with fst.Client(url, token=token) as client:
            # A token that may not read the catalog still looks features up.
            rows = client.get_online_features(**by_service).rows
            assert rows == [{"customer_id": 1, "amount": None, "order_id": None}]
