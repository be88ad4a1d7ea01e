"""The feedback loop from Python: responses served over HTTP (featherstone.Client) are
reproduced and turned into a retraining set by FeatureStore, with the same tables and reports
as the CLI's `training-set`, `reproduce` and `skew`."""

import datetime as dt
import json
import subprocess

import pyarrow.csv as pacsv
import pytest

import featherstone as fst
import shop
from test_client import AT, END, serve

OUTCOMES = """\
  - name: churn_outcomes
    kind: file
    format: csv
    timestamp_field: outcome_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: request_id, type: string}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}
"""
YAML = shop.SHOP_YAML.replace("\nfeature_views:", "\n" + OUTCOMES + "feature_views:", 1)


@pytest.fixture
def logged(tmp_path, cli_bin):
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.ingest("orders", shop.write_orders_csv(tmp_path / "orders.csv", shop.make_orders()))
    fs.materialize(end=END)
    fs.close()
    with serve(repo) as url, fst.Client(url, timeout=30) as client:
        ids = [client.get_online_features(service="churn_model",
                                          entity_rows=[{"customer_id": c} for c in keys],
                                          at=AT).request_id
               for keys in ([1, 2, 3], [2], [99])]
    assert all(ids), ids
    fs = fst.FeatureStore(repo)
    yield fs, repo, ids, tmp_path
    fs.close()


def test_reproduce_and_skew_equal_the_cli(logged):
    fs, repo, ids, _ = logged
    report = fs.reproduce(ids[0])
    assert report["equal"] is True and report["values"] == 6, report
    cli = json.loads(subprocess.run([shop.BIN, "-C", str(repo), "reproduce", "--request-id",
                                     ids[0], "--json"], capture_output=True, text=True,
                                    check=True).stdout)
    assert cli == report
    skew = fs.skew("churn_model")
    assert skew["requests"] == 3 and skew["values"] == 10 and skew["differing"] == 0
    with pytest.raises(fst.NotFoundError, match="no logged request 'nope'"):
        fs.reproduce("nope")


def test_training_set_equals_the_cli(logged):
    fs, repo, ids, tmp = logged
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    (tmp / "outcomes.csv").write_text(
        "customer_id,request_id,churned,outcome_ts\n"
        f"1,{ids[0]},true,{later.isoformat()}\n"
        f"2,{ids[1]},false,{later.isoformat()}\n"
        f"3,{ids[0]},true,2020-01-01T00:00:00Z\n")  # before serving: never joined
    fs.ingest("churn_outcomes", tmp / "outcomes.csv")
    table = fs.get_training_set("churn_model", "churn_outcomes")
    assert table.column_names == ["request_id", "served_at", "customer_id", "amount",
                                  "order_id", "churned", "outcome_ts"]
    assert sorted(zip(table["request_id"].to_pylist(), table["customer_id"].to_pylist())) == \
        sorted([(ids[0], 1), (ids[1], 2)])
    out = tmp / "train.csv"
    subprocess.run([shop.BIN, "-C", str(repo), "training-set", "--service", "churn_model",
                    "--labels", "churn_outcomes", "--out", str(out)], check=True,
                   capture_output=True)
    cli = pacsv.read_csv(out)
    assert cli["request_id"].to_pylist() == table["request_id"].to_pylist()
    assert cli["amount"].to_pylist() == table["amount"].to_pylist()
    recomputed = fs.get_training_set("churn_model", "churn_outcomes", recompute=True)
    assert recomputed["amount"].to_pylist() == table["amount"].to_pylist()
    with pytest.raises(fst.ValidationError, match="needs a horizon"):
        fs.get_training_set("churn_model", "churn_outcomes", join="keys")
    with pytest.raises(fst.ValidationError, match="join 'both': expected request_id"):
        fs.get_training_set("churn_model", "churn_outcomes", join="both")
