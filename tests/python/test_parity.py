"""The same scenarios through the CLI and the Python SDK give the same outcome, the same
numbers and the same error text: both are thin over one library call. Each front-end gets its
own copy of the repo (the online store is opened by one process at a time)."""
import csv
import datetime as dt
import json

import pytest

import featherstone as fst
import shop

CONTRACT = """\
    contract:
      policy: {policy}
      expectations:
        - {{expect: between, column: amount, min: 0, max: 1000}}
"""


def with_contract(policy):
    marker = "      - {name: created_ts, type: timestamp}\n"
    return shop.SHOP_YAML.replace(marker, marker + CONTRACT.format(policy=policy), 1)


def twin_repos(tmp_path, yaml_text):
    """Two repos with the same featherstone.yaml: (the CLI's, the SDK's)."""
    repos = []
    for name in ("cli", "py"):
        repo = tmp_path / name
        repo.mkdir()
        (repo / "featherstone.yaml").write_text(yaml_text)
        repos.append(repo)
    return repos


def cli_error(args, repo):
    """The message the CLI prints after 'error: ' for a failing command."""
    p = shop.cli(args, repo, ok=False)
    assert p.returncode == 1, f"{args}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stderr.split("error: ", 1)[1].strip()


def py_error(fn):
    with pytest.raises(fst.FeatherstoneError) as e:
        fn()
    return str(e.value).strip()


def test_refused_schema_change(tmp_path, orders_rows):
    cli_repo, py_repo = twin_repos(tmp_path, shop.SHOP_YAML)
    orders = shop.write_orders_csv(tmp_path / "orders.csv", orders_rows)
    shop.cli(["apply"], cli_repo)
    shop.cli(["ingest", "orders", orders], cli_repo)
    fs = fst.FeatureStore(py_repo)
    fs.apply()
    fs.ingest("orders", orders)

    narrowed = shop.SHOP_YAML.replace("{name: amount, type: float64, nullable: true}",
                                      "{name: amount, type: int32, nullable: true}")
    for repo in (cli_repo, py_repo):
        (repo / "featherstone.yaml").write_text(narrowed)
    plan_text = cli_error(["plan"], cli_repo)
    assert plan_text.startswith("schema change refused")
    assert "amount" in plan_text
    assert py_error(fs.plan) == plan_text
    assert cli_error(["apply"], cli_repo) == plan_text
    assert py_error(fs.apply) == plan_text
    fs.close()


def test_every_row_quarantined(tmp_path, orders_rows):
    cli_repo, py_repo = twin_repos(tmp_path, with_contract("quarantine"))
    too_big = [(cid, oid, 5000.0, event, created) for cid, oid, _, event, created in orders_rows]
    orders = shop.write_orders_csv(tmp_path / "orders.csv", too_big)
    shop.cli(["apply"], cli_repo)
    fs = fst.FeatureStore(py_repo)
    fs.apply()
    text = cli_error(["ingest", "orders", orders], cli_repo)
    assert "nothing written to source 'orders'" in text
    assert f"all {len(too_big)} rows were quarantined" in text
    assert py_error(lambda: fs.ingest("orders", orders)) == text
    # Both recorded the run and its quarantine alike.
    shown = shop.cli(["quarantine", "list", "orders"], cli_repo).stdout
    assert str(len(too_big)) in shown
    fs.close()


def test_rejected_batch(tmp_path, orders_rows):
    cli_repo, py_repo = twin_repos(tmp_path, with_contract("reject_batch"))
    rows = list(orders_rows)
    rows[3] = (rows[3][0], rows[3][1], 5000.0, rows[3][3], rows[3][4])
    orders = shop.write_orders_csv(tmp_path / "orders.csv", rows)
    shop.cli(["apply"], cli_repo)
    fs = fst.FeatureStore(py_repo)
    fs.apply()
    text = cli_error(["ingest", "orders", orders], cli_repo)
    assert "rejected by the contract of source 'orders' (policy reject_batch)" in text
    assert py_error(lambda: fs.ingest("orders", orders)) == text
    fs.close()


def test_same_training_set_and_online_values(tmp_path, orders_rows):
    cli_repo, py_repo = twin_repos(tmp_path, shop.SHOP_YAML)
    orders = shop.write_orders_csv(tmp_path / "orders.csv", orders_rows)
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine())
    end = "2030-01-01T00:00:00Z"
    shop.cli(["apply"], cli_repo)
    shop.cli(["ingest", "orders", orders], cli_repo)
    shop.cli(["materialize", "--end", end], cli_repo)
    out = tmp_path / "train.csv"
    shop.cli(["historical", "--entities", spine, "--service", "churn_model", "--out", out],
             cli_repo)
    with open(out) as f:
        cli_rows = list(csv.DictReader(f))

    fs = fst.FeatureStore(py_repo)
    fs.apply()
    fs.ingest("orders", orders)
    fs.materialize(end=end)
    table = fs.get_historical_features(str(spine), service="churn_model")
    py_rows = table.to_pylist()
    assert len(py_rows) == len(cli_rows) > 0
    compared = 0
    for c, p in zip(cli_rows, py_rows):
        assert int(c["customer_id"]) == p["customer_id"]
        assert c["order_id"] == (p["order_id"] or "")
        if p["amount"] is None:
            assert c["amount"] == ""
        else:
            assert float(c["amount"]) == pytest.approx(p["amount"], rel=1e-12)
            compared += 1
    assert compared > 50

    entities = [{"customer_id": k} for k in (1, 2, 3, 17, 999)]
    at = "2026-03-15T00:00:00Z"
    cli_online = shop.cli_online(cli_repo, entities, at=at)
    py_online = fs.get_online_features(shop.FEATURES, entities,
                                       at=dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc))
    assert json.loads(json.dumps(py_online.rows)) == cli_online
    assert sum(row["amount"] is not None for row in cli_online) >= 2
    fs.close()
