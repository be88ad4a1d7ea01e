"""get_online_features after materialize: identical to `featherstone online`."""

import threading

import pandas as pd
import pytest

import featherstone as fst
import shop

END = "2026-03-15T00:00:00Z"
AT = "2026-03-20T00:00:00Z"


def test_identical_to_the_cli_json(loaded, cli_bin):
    fs, repo, _ = loaded
    assert fs.materialize(end=END) == {"customer_features": 60}
    entities = [{"customer_id": i} for i in (1, 2, 3, 59, 60, 61, 1000)]
    sdk = fs.get_online_features(shop.FEATURES, entities, at=AT)
    sdk_now = fs.get_online_features(shop.FEATURES, entities)
    fs.close()  # the CLI opens the online store (RocksDB allows one process)
    assert sdk.rows == shop.cli_online(repo, entities, at=AT)
    assert sdk_now.rows == shop.cli_online(repo, entities)
    assert any(r["amount"] is not None for r in sdk.rows)
    assert sdk.rows[-1] == {"customer_id": 1000, "amount": None, "order_id": None}


def test_online_equals_historical_at_the_materialization_time(loaded):
    fs, _, _ = loaded
    fs.materialize(end=END)
    ids = list(range(1, 62))
    online = fs.get_online_features(shop.FEATURES, [{"customer_id": i} for i in ids], at=END)
    spine = pd.DataFrame({"customer_id": ids, "event_timestamp": pd.Timestamp(END)})
    offline = fs.get_historical_features(spine, shop.FEATURES).to_pydict()
    assert online.to_dict() == {k: offline[k] for k in ("customer_id", "amount", "order_id")}


def test_response_helpers_and_input_forms(loaded):
    fs, _, _ = loaded
    fs.materialize(end=END)
    resp = fs.get_online_features(["customer_features:amount"], [{"customer_id": 1},
                                                                 {"customer_id": 2}], at=AT)
    assert list(resp) == ["customer_id", "amount"]
    assert resp["customer_id"] == [1, 2]
    assert resp.to_dict() == {"customer_id": [1, 2], "amount": resp["amount"]}
    assert resp.to_rows() == resp.rows
    df = resp.to_pandas()
    assert list(df.columns) == ["customer_id", "amount"] and len(df) == 2
    assert resp.to_arrow().num_rows == 2
    same = [
        fs.get_online_features(["customer_features:amount"], {"customer_id": [1, 2]}, at=AT),
        fs.get_online_features(["customer_features:amount"],
                               pd.DataFrame({"customer_id": [1, 2]}), at=AT),
        fs.get_online_features(["customer_features:amount"], ({"customer_id": i} for i in (1, 2)),
                               at=AT),
        fs.get_online_features(["customer_features:amount"], [{"customer_id": "1"},
                                                              {"customer_id": 2.0}], at=AT),
        fs.get_online_features(["customer_features:amount"], [{"customer_id": 1},
                                                              {"customer_id": 2}],
                               at=pd.Timestamp(AT).to_pydatetime()),
    ]
    assert all(r.rows == resp.rows for r in same)
    by_service = fs.get_online_features(service="churn_model", entity_rows=[{"customer_id": 1}],
                                        at=AT, full_feature_names=True)
    assert list(by_service) == ["customer_id", "customer_features__amount",
                                "customer_features__order_id"]


def test_ttl_is_enforced_at_read_time(loaded):
    fs, _, _ = loaded
    fs.materialize(end=END)
    rows = [{"customer_id": i} for i in range(1, 61)]
    fresh = fs.get_online_features(shop.FEATURES, rows, at=END)
    stale = fs.get_online_features(shop.FEATURES, rows, at="2026-06-01T00:00:00Z")
    assert any(v is not None for v in fresh["amount"])
    assert all(v is None for v in stale["amount"])


def test_errors(loaded):
    fs, _, _ = loaded
    fs.materialize(end=END)
    with pytest.raises(fst.ValidationError, match="lacks join key 'customer_id'"):
        fs.get_online_features(shop.FEATURES, [{"id": 1}])
    with pytest.raises(fst.ValidationError, match="'store_id' is not a join key"):
        fs.get_online_features(shop.FEATURES, [{"customer_id": 1, "store_id": 2}])
    with pytest.raises(fst.ValidationError):
        fs.get_online_features(shop.FEATURES, [{"customer_id": "abc"}])
    with pytest.raises(fst.ValidationError, match="is None"):
        fs.get_online_features(shop.FEATURES, [{"customer_id": None}])
    with pytest.raises(TypeError, match="list of dicts"):
        fs.get_online_features(shop.FEATURES, [42])
    with pytest.raises(fst.NotFoundError):
        fs.get_online_features(["nope:x"], [{"customer_id": 1}])
    with pytest.raises(fst.ValidationError, match="materialize needs end"):
        fs.materialize()
    with pytest.raises(fst.ValidationError, match="start is after end"):
        fs.materialize(end="2026-01-01", start="2026-02-01")
    with pytest.raises(fst.ValidationError, match="end: "):
        fs.materialize(end="yesterday")


def test_incremental_materialization(loaded, tmp_path):
    fs, _, _ = loaded
    end = "2026-04-05T00:00:00Z"  # after every generated order
    fs.materialize(end=end, views=["customer_features"])
    assert fs.materialize(incremental=True, end="2026-04-06T00:00:00Z") == {"customer_features": 0}
    when = shop.BASE.replace(month=4, day=5, hour=12)
    fs.ingest("orders", shop.write_orders_csv(tmp_path / "late.csv",
                                              [(1, "late", 999.0, when, when)]))
    assert fs.materialize(incremental=True, end="2026-04-06T00:00:00Z") == {"customer_features": 1}
    got = fs.get_online_features(["customer_features:amount"], [{"customer_id": 1}],
                                 at="2026-04-06T00:00:00Z")
    assert got["amount"] == [999.0]


def test_concurrent_lookups_release_the_gil_and_stay_correct(loaded):
    fs, _, _ = loaded
    fs.materialize(end=END)
    rows = [{"customer_id": i} for i in range(1, 61)]
    want = fs.get_online_features(shop.FEATURES, rows, at=AT).rows
    errors = []

    def worker():
        try:
            for _ in range(200):
                assert fs.get_online_features(shop.FEATURES, rows, at=AT).rows == want
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
