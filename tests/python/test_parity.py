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


def test_push(tmp_path, orders_rows):
    """`featherstone push FILE` and FeatureStore.push of the same rows: the same counts, the
    same online values, the same error text (after the name of the input)."""
    cli_repo, py_repo = twin_repos(tmp_path, with_contract("quarantine"))
    rows = [(cid, oid, 5000.0 if i % 4 == 0 else amount, event, created)
            for i, (cid, oid, amount, event, created) in enumerate(orders_rows[:40])]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(
        json.dumps({"customer_id": cid, "order_id": oid, "amount": amount,
                    "event_ts": shop.iso(event), "created_ts": shop.iso(created)}) + "\n"
        for cid, oid, amount, event, created in rows))
    frame = {"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
             "amount": [r[2] for r in rows], "event_ts": [r[3] for r in rows],
             "created_ts": [r[4] for r in rows]}
    shop.cli(["apply"], cli_repo)
    out = shop.cli(["push", "orders", events], cli_repo).stdout
    fs = fst.FeatureStore(py_repo)
    fs.apply()
    result = fs.push("orders", frame)
    views = "".join(f"; online view '{v}': {k} keys" for v, k in result.materialized.items())
    assert out == (f"pushed {result.rows_written} rows into source 'orders' (ingest "
                   f"#{result.ingest_id}); {result.rows_quarantined} rows quarantined{views}\n")
    assert result.rows_quarantined == 10 and result.rows_written == 30
    keys = sorted({r[0] for r in rows})[:10]
    at = "2026-03-31T00:00:00Z"
    fs.close()  # the CLI opens the online store of its own repo only, but read it the same way
    cli_values = shop.cli_online(cli_repo, [{"customer_id": k} for k in keys], at=at)
    with fst.FeatureStore(py_repo) as fs:
        py_values = fs.get_online_features(shop.FEATURES, [{"customer_id": k} for k in keys],
                                           at=at).rows
        assert json.loads(json.dumps(py_values)) == cli_values

        def both(frame):
            """Pushes `frame` through the CLI (as a JSONL file) and the SDK; returns (CLI
            process, PushResult or the SDK's error text), the CLI's input named as the SDK's."""
            events.write_text("".join(
                json.dumps({k: shop.iso(v) if isinstance(v, dt.datetime) else v
                            for k, v in zip(frame, values)}) + "\n"
                for values in zip(*frame.values())))
            p = shop.cli(["push", "orders", events], cli_repo, ok=False)
            p.stdout, p.stderr = (t.replace(str(events), "push to 'orders'")
                                  for t in (p.stdout, p.stderr))
            try:
                return p, fs.push("orders", frame)
            except fst.FeatherstoneError as e:
                return p, str(e)

        # Per event: a value that does not fit quarantines its row, with the same reason.
        bad = dict(frame, amount=[*frame["amount"][:2], "lots", *frame["amount"][3:]])
        p, result = both(bad)
        assert p.returncode == 0, p.stderr
        views = "".join(f"; online view '{v}': {k} keys" for v, k in result.materialized.items())
        assert p.stdout == (f"pushed {result.rows_written} rows into source 'orders' (ingest "
                            f"#{result.ingest_id}); {result.rows_quarantined} rows "
                            f"quarantined{views}\n")
        assert p.stderr == "".join(f"warning: {w}\n" for w in result.warnings)
        assert "push to 'orders': line 3: column 'amount': value 'lots'" in p.stderr
        # Every row quarantined: the same error.
        p, text = both({k: v[:3] for k, v in dict(frame, amount=[5000.0] * 40).items()})
        assert p.returncode == 1
        assert p.stderr.split("error: ", 1)[1].strip() == text
        assert "all 3 rows were quarantined" in text
