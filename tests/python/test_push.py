"""FeatureStore.push: rows into a source through the push path, then the online refresh;
visible online and in training sets at once, contracts applied, bad data refused whole."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

import featherstone as fst
import shop
from test_parity import with_contract

EVENT = shop.BASE + dt.timedelta(days=100)
AT = EVENT + dt.timedelta(days=1)


def orders_frame(ids, amounts, event=EVENT):
    n = len(ids)
    return pd.DataFrame({"customer_id": ids, "order_id": [f"p{i}" for i in range(n)],
                         "amount": amounts, "event_ts": [event] * n, "created_ts": [event] * n})


def applied(tmp_path, yaml_text=shop.SHOP_YAML):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(yaml_text)
    fs = fst.FeatureStore(repo)
    fs.apply()
    return fs


def test_pushed_rows_are_online_and_in_training_sets(loaded):
    fs, _, _ = loaded
    fs.materialize(end=shop.BASE + dt.timedelta(days=90))
    result = fs.push("orders", orders_frame([1, 2, 5000], [11.5, None, 7.25]))
    assert result == fst.PushResult(rows_written=3, rows_quarantined=0,
                                    ingest_id=result.ingest_id, warnings=(),
                                    materialized={"customer_features": 3})
    online = fs.get_online_features(shop.FEATURES, [{"customer_id": k} for k in (1, 2, 5000)],
                                    at=AT)
    assert online.to_dict() == {"customer_id": [1, 2, 5000], "amount": [11.5, None, 7.25],
                                "order_id": ["p0", "p1", "p2"]}
    spine = pa.table({"customer_id": [1, 5000, 5000],
                      "event_timestamp": [AT, AT, EVENT - dt.timedelta(seconds=1)]})
    train = fs.get_historical_features(spine, shop.FEATURES).to_pydict()
    assert train["amount"] == [11.5, 7.25, None]
    # Not deduplicated: the same rows again are a second ingest.
    again = fs.push("orders", orders_frame([1, 2, 5000], [11.5, None, 7.25]))
    assert again.ingest_id > result.ingest_id and again.rows_written == 3


def test_offline_only_leaves_the_online_store(loaded):
    fs, _, _ = loaded
    fs.materialize(end=shop.BASE + dt.timedelta(days=90))
    result = fs.push("orders", pa.Table.from_pandas(orders_frame([6000], [3.0])), to="offline")
    assert result.materialized == {} and result.rows_written == 1
    assert fs.get_online_features(shop.FEATURES, [{"customer_id": 6000}], at=AT)["amount"] == [None]
    spine = pa.table({"customer_id": [6000], "event_timestamp": [AT]})
    assert fs.get_historical_features(spine, shop.FEATURES).to_pydict()["amount"] == [3.0]
    later = EVENT + dt.timedelta(hours=1)
    fs.push("orders", {"customer_id": [6000], "order_id": ["x"], "amount": [4.0],
                       "event_ts": [later.isoformat()]}, to="online")
    assert fs.get_online_features(shop.FEATURES, [{"customer_id": 6000}],
                                  at=AT)["amount"] == [4.0]


def test_quarantine_counts(tmp_path):
    fs = applied(tmp_path, with_contract("quarantine"))
    result = fs.push("orders", orders_frame([1, 2, 3, 4], [10.0, 5000.0, 20.0, -1.0]))
    assert (result.rows_written, result.rows_quarantined) == (2, 2)
    assert any("amount" in w for w in result.warnings)
    assert fs.get_online_features(shop.FEATURES, [{"customer_id": k} for k in (1, 2)],
                                  at=AT)["amount"] == [10.0, None]
    with pytest.raises(fst.ValidationError, match="all 1 rows were quarantined"):
        fs.push("orders", orders_frame([9], [5000.0]))
    fs.close()


def test_rejected_batch_writes_nothing(tmp_path):
    fs = applied(tmp_path, with_contract("reject_batch"))
    with pytest.raises(fst.ValidationError, match="policy reject_batch"):
        fs.push("orders", orders_frame([1, 2], [10.0, 5000.0]))
    spine = pa.table({"customer_id": [1], "event_timestamp": [AT]})
    assert fs.get_historical_features(spine, shop.FEATURES).to_pydict()["amount"] == [None]
    fs.close()


def test_bad_events_are_quarantined_bad_calls_raise(tmp_path):
    fs = applied(tmp_path)
    bad = {"customer_id": [1, 2, 3], "order_id": ["a", "b", "c"], "amount": [1.0, "lots", 2.0],
           "event_ts": [EVENT, EVENT, None]}
    # Per event, as `featherstone push`: a value that does not fit, or a missing event time,
    # quarantines its row; the others are written.
    result = fs.push("orders", pd.DataFrame(bad))
    assert (result.rows_written, result.rows_quarantined) == (1, 2)
    assert fs.get_online_features(shop.FEATURES, [{"customer_id": k} for k in (1, 2, 3)],
                                  at=AT)["amount"] == [1.0, None, None]
    with pytest.raises(fst.ValidationError, match="all 1 rows were quarantined"):
        fs.push("orders", {"customer_id": [1], "order_id": ["a"]})
    with pytest.raises(fst.NotFoundError, match="nope"):
        fs.push("nope", bad)
    with pytest.raises(fst.ValidationError, match="'to' is everywhere"):
        fs.push("orders", bad, to="everywhere")
    with pytest.raises(fst.ValidationError, match="no events"):
        fs.push("orders", pd.DataFrame(bad).iloc[:0])
    with pytest.raises(TypeError):
        fs.push("orders", 42)
    spine = pa.table({"customer_id": [2, 3], "event_timestamp": [AT, AT]})
    assert fs.get_historical_features(spine, shop.FEATURES).to_pydict()["amount"] == [None, None]
    fs.close()


def test_timestamps_of_any_kind_are_the_same_event(tmp_path):
    fs = applied(tmp_path)
    aware = EVENT.astimezone(dt.timezone(dt.timedelta(hours=5)))
    for cid, ts in ((1, EVENT), (2, EVENT.replace(tzinfo=None)), (3, aware),
                    (4, EVENT.isoformat()), (5, int(EVENT.timestamp()))):
        fs.push("orders", {"customer_id": [cid], "order_id": ["o"], "amount": [1.0],
                           "event_ts": [ts]})
    spine = pa.table({"customer_id": [1, 2, 3, 4, 5] * 2,
                      "event_timestamp": [EVENT] * 5 + [EVENT - dt.timedelta(microseconds=1)] * 5})
    assert fs.get_historical_features(spine, shop.FEATURES).to_pydict()["amount"] == \
        [1.0] * 5 + [None] * 5
    fs.close()
