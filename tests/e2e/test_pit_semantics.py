"""Point-in-time lookup semantics (DESIGN section 3) through `featherstone historical`."""
import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

import fst

UTC = dt.timezone.utc


def order(cust, oid, amount, event, created=None):
    return [cust, oid, amount, event, created or event]


def load(repo, tmp_path, *files):
    """Ingests each list of rows as its own CSV file, in order."""
    for i, rows in enumerate(files):
        path = fst.write_csv(tmp_path / f"orders_{i}.csv", fst.ORDERS_HEADER, rows)
        fst.ingest(repo, "orders", path)


def order_ids(repo, spine, **kw):
    rows, _ = fst.historical(repo, spine, **kw)
    assert len(rows) == len(spine), rows
    return [r["order_id"] for r in rows]


def test_ttl_window_is_inclusive_at_both_ends(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.0, "2026-01-10T00:00:00Z")])
    spine = [[1, "2026-01-09T23:59:59Z"],   # before the event
             [1, "2026-01-10T00:00:00Z"],   # event_ts == t
             [1, "2026-02-09T00:00:00Z"],   # event_ts == t - 30d
             [1, "2026-02-09T00:00:01Z"]]   # one second past the ttl
    assert order_ids(shop, spine) == [None, "o1", "o1", None]


def test_latest_event_ts_wins_over_later_created_ts(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.0, "2026-01-10T00:00:00Z", "2026-01-20T00:00:00Z"),
                          order(1, "o2", 2.0, "2026-01-11T00:00:00Z", "2026-01-11T00:00:00Z")])
    spine = [[1, "2026-01-10T12:00:00Z"], [1, "2026-01-12T00:00:00Z"]]
    assert order_ids(shop, spine) == ["o1", "o2"]


def test_equal_event_ts_goes_to_latest_created_ts(shop, tmp_path):
    e = "2026-01-10T00:00:00Z"
    load(shop, tmp_path, [order(1, "o1", 1.0, e, "2026-01-12T00:00:00Z"),
                          order(1, "o2", 2.0, e, "2026-01-11T00:00:00Z"),
                          order(2, "o3", 3.0, e, "2026-01-11T00:00:00Z"),
                          order(2, "o4", 4.0, e, "2026-01-12T00:00:00Z")])
    spine = [[1, "2026-01-10T00:00:00Z"], [2, "2026-01-15T00:00:00Z"]]
    assert order_ids(shop, spine) == ["o1", "o4"]


def test_full_tie_within_a_file_goes_to_the_later_row(shop, tmp_path):
    e = "2026-01-10T00:00:00Z"
    load(shop, tmp_path, [order(1, "o1", 1.0, e), order(1, "o2", 2.0, e),
                          order(2, "o9", 9.0, e), order(2, "o3", 3.0, e),
                          order(3, "o5", 5.0, e), order(3, "o7", 7.0, e), order(3, "o6", 6.0, e)])
    spine = [[1, "2026-01-11T00:00:00Z"], [2, "2026-01-11T00:00:00Z"],
             [3, "2026-01-11T00:00:00Z"]]
    rows, _ = fst.historical(shop, spine)
    assert [r["order_id"] for r in rows] == ["o2", "o3", "o6"]
    assert [float(r["amount"]) for r in rows] == [2.0, 3.0, 6.0]


def test_full_tie_across_files_goes_to_the_later_ingest(shop, tmp_path):
    e = "2026-01-10T00:00:00Z"
    # Names sort the other way round from the ingestion order.
    first = fst.write_csv(tmp_path / "z_first.csv", fst.ORDERS_HEADER,
                          [order(1, "o5", 5.0, e), order(2, "o1", 1.0, e)])
    second = fst.write_csv(tmp_path / "a_second.csv", fst.ORDERS_HEADER,
                           [order(1, "o2", 2.0, e), order(2, "o9", 9.0, e)])
    fst.ingest(shop, "orders", first)
    fst.ingest(shop, "orders", second)
    spine = [[1, "2026-01-11T00:00:00Z"], [2, "2026-01-11T00:00:00Z"]]
    assert order_ids(shop, spine) == ["o2", "o9"]


def test_full_tie_across_files_of_one_ingest_goes_to_the_later_file(shop, tmp_path):
    e = "2026-01-10T00:00:00Z"
    first = fst.write_csv(tmp_path / "z_first.csv", fst.ORDERS_HEADER,
                          [order(1, "o5", 5.0, e), order(2, "o1", 1.0, e)])
    second = fst.write_csv(tmp_path / "a_second.csv", fst.ORDERS_HEADER,
                           [order(1, "o2", 2.0, e), order(2, "o9", 9.0, e)])
    fst.ingest(shop, "orders", first, second)
    spine = [[1, "2026-01-11T00:00:00Z"], [2, "2026-01-11T00:00:00Z"]]
    assert order_ids(shop, spine) == ["o2", "o9"]


def test_entity_row_before_any_data_gives_nulls(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.0, "2026-01-10T00:00:00Z")])
    spine = [[1, "2026-01-01T00:00:00Z"], [77, "2026-01-20T00:00:00Z"],
             [1, "2026-01-11T00:00:00Z"]]
    rows, _ = fst.historical(shop, spine)
    assert [r["customer_id"] for r in rows] == ["1", "77", "1"]
    assert [r["order_id"] for r in rows] == [None, None, "o1"]
    assert [r["amount"] for r in rows[:2]] == [None, None]
    assert float(rows[2]["amount"]) == 1.0


def test_null_value_of_the_latest_row_is_kept(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.0, "2026-01-10T00:00:00Z"),
                          order(1, "o2", None, "2026-01-11T00:00:00Z")])
    rows, _ = fst.historical(shop, [[1, "2026-01-12T00:00:00Z"]])
    assert (rows[0]["order_id"], rows[0]["amount"]) == ("o2", None)


def test_output_keeps_input_order_and_columns(shop, tmp_path):
    load(shop, tmp_path, [order(1, "a1", 1.0, "2026-01-05T00:00:00Z"),
                          order(1, "a2", 2.0, "2026-01-15T00:00:00Z"),
                          order(2, "b1", 3.0, "2026-01-07T00:00:00Z"),
                          order(3, "c1", 4.0, "2026-01-09T00:00:00Z")])
    spine = [[3, "2026-01-20T00:00:00Z", "first"],
             [1, "2026-01-16T00:00:00Z", "second"],
             [2, "2026-01-06T00:00:00Z", "third"],
             [1, "2026-01-10T00:00:00Z", "fourth"],
             [3, "2026-01-08T00:00:00Z", "fifth"],
             [1, "2026-01-16T00:00:00Z", "sixth"]]
    rows, _ = fst.historical(shop, spine, spine_header=["customer_id", "event_timestamp", "label"])
    assert [r["label"] for r in rows] == [s[2] for s in spine]
    assert [r["customer_id"] for r in rows] == [str(s[0]) for s in spine]
    assert [fst.ts(r["event_timestamp"]) for r in rows] == [fst.ts(s[1]) for s in spine]
    assert [r["order_id"] for r in rows] == ["c1", "a2", None, "a1", None, "a2"]
    assert list(rows[0].keys())[:3] == ["customer_id", "event_timestamp", "label"]


def test_full_feature_names(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z")])
    rows, _ = fst.historical(shop, [[1, "2026-01-11T00:00:00Z"]],
                             extra=["--full-feature-names"])
    assert "customer_features__amount" in rows[0], rows[0]
    assert "customer_features__order_id" in rows[0], rows[0]
    assert "amount" not in rows[0] and "order_id" not in rows[0], rows[0]
    assert rows[0]["customer_features__order_id"] == "o1"
    assert float(rows[0]["customer_features__amount"]) == 1.5


def test_service_gives_the_same_as_its_features(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z"),
                          order(2, "o2", 2.5, "2026-01-12T00:00:00Z")])
    spine = [[1, "2026-01-11T00:00:00Z"], [2, "2026-01-11T00:00:00Z"],
             [2, "2026-01-13T00:00:00Z"]]
    by_service, _ = fst.historical(shop, spine, service="churn_model", tag="service")
    by_features, _ = fst.historical(shop, spine, tag="features")
    assert by_service == by_features


TWO_VIEWS_YAML = fst.SHOP_YAML.replace("feature_services:", """\
  - name: recent_orders
    entities: [customer]
    source: orders
    ttl: 1d
    online: true
    features:
      - {name: amount}
feature_services:""")


def test_feature_name_clash_names_both(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", TWO_VIEWS_YAML)
    load(repo, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z")])
    spine = [[1, "2026-01-10T12:00:00Z"], [1, "2026-01-12T00:00:00Z"]]
    feats = "customer_features:amount,recent_orders:amount"
    p, _ = fst.historical(repo, spine, features=feats, ok=1, tag="clash")
    assert "customer_features" in p.stderr and "recent_orders" in p.stderr, p.stderr
    assert "amount" in p.stderr, p.stderr
    rows, _ = fst.historical(repo, spine, features=feats, extra=["--full-feature-names"])
    got = [(r["customer_features__amount"], r["recent_orders__amount"]) for r in rows]
    assert [(fst.num(a), fst.num(b)) for a, b in got] == [(1.5, 1.5), (1.5, None)]


def test_missing_timestamp_column_is_named(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z")])
    spine = [[1, "2026-01-11T00:00:00Z"]]
    p, _ = fst.historical(shop, spine, spine_header=["customer_id", "ts"], ok=1, tag="bad")
    assert "event_timestamp" in p.stderr, p.stderr
    rows, _ = fst.historical(shop, spine, spine_header=["customer_id", "ts"],
                             extra=["--timestamp-column", "ts"])
    assert rows[0]["order_id"] == "o1" and "ts" in rows[0]


def test_missing_join_key_column_is_named(shop, tmp_path):
    load(shop, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z")])
    p, _ = fst.historical(shop, [[1, "2026-01-11T00:00:00Z"]],
                          spine_header=["customer", "event_timestamp"], ok=1, tag="bad")
    assert "customer_id" in p.stderr, p.stderr


def test_timestamp_formats_iso_offset_and_epochs(shop, tmp_path):
    t = dt.datetime(2026, 1, 10, tzinfo=UTC)
    epoch = int(t.timestamp())
    load(shop, tmp_path, [order(1, "o1", 1.0, "2026-01-10T02:00:00+02:00"),
                          order(2, "o2", 2.0, str(epoch * 1000))])
    cases = [("2026-01-09T19:00:00-05:00", ["o1", "o2"]),
             ("2026-01-09T18:59:59-05:00", [None, None]),
             (str(epoch), ["o1", "o2"]),
             (str(epoch - 1), [None, None]),
             (str(epoch * 1000), ["o1", "o2"]),
             (str(epoch * 1000 - 1), [None, None]),
             (str(epoch * 1_000_000), ["o1", "o2"]),
             (str(epoch * 1_000_000 - 1), [None, None])]
    for i, (when, expected) in enumerate(cases):
        got = order_ids(shop, [[1, when], [2, when]], tag=f"fmt{i}")
        assert got == expected, f"spine timestamp {when}"


STRING_KEY_YAML = """\
project: web
entities:
  - name: user
    join_keys: [user_id]
sources:
  - name: clicks
    kind: file
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: user_id, type: string}
      - {name: page, type: string}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: user_features
    entities: [user]
    source: clicks
    ttl: 0
    online: true
    features:
      - {name: page}
"""


def test_string_join_keys(tmp_path):
    repo = fst.make_repo(tmp_path / "web", STRING_KEY_YAML)
    path = fst.write_csv(tmp_path / "clicks.csv", ["user_id", "page", "event_ts"], [
        ["007", "p-007", "2026-01-01T00:00:00Z"],
        ["7", "p-7", "2026-01-02T00:00:00Z"],
        ["u-1", "p-u1", "2026-01-03T00:00:00Z"],
        ["a,b", "p-comma", "2026-01-04T00:00:00Z"],
    ])
    fst.ingest(repo, "clicks", path)
    spine = [["7", "2026-06-01T00:00:00Z"], ["007", "2026-06-01T00:00:00Z"],
             ["07", "2026-06-01T00:00:00Z"], ["u-1", "2026-06-01T00:00:00Z"],
             ["a,b", "2026-06-01T00:00:00Z"], ["u-1", "2026-01-02T00:00:00Z"]]
    rows, _ = fst.historical(repo, spine, features="user_features:page",
                             spine_header=["user_id", "event_timestamp"])
    assert [r["user_id"] for r in rows] == [s[0] for s in spine]
    assert [r["page"] for r in rows] == ["p-7", "p-007", None, "p-u1", "p-comma", None]


TWO_KEYS_YAML = """\
project: retail
entities:
  - name: store_product
    join_keys: [store_id, product_id]
sources:
  - name: stock
    kind: file
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: store_id, type: string}
      - {name: product_id, type: string}
      - {name: qty, type: int64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: stock_features
    entities: [store_product]
    source: stock
    ttl: 0
    online: true
    features:
      - {name: qty}
"""


def test_two_join_keys(tmp_path):
    repo = fst.make_repo(tmp_path / "retail", TWO_KEYS_YAML)
    # Pairs whose concatenations collide: (a, bc) / (ab, c), and swapped pairs.
    path = fst.write_csv(tmp_path / "stock.csv", ["store_id", "product_id", "qty", "event_ts"], [
        ["a", "bc", 1, "2026-01-01T00:00:00Z"],
        ["ab", "c", 2, "2026-01-02T00:00:00Z"],
        ["a", "b", 3, "2026-01-03T00:00:00Z"],
        ["b", "a", 4, "2026-01-04T00:00:00Z"],
        ["a", "bc", 5, "2026-01-05T00:00:00Z"],
    ])
    fst.ingest(repo, "stock", path)
    t = "2026-02-01T00:00:00Z"
    spine = [["ab", "c", t], ["a", "bc", t], ["b", "a", t], ["a", "b", t], ["a", "c", t],
             ["a", "bc", "2026-01-04T00:00:00Z"], ["b", "a", "2026-01-03T00:00:00Z"]]
    rows, _ = fst.historical(repo, spine, features="stock_features:qty",
                             spine_header=["store_id", "product_id", "event_timestamp"])
    assert [(r["store_id"], r["product_id"]) for r in rows] == [(s[0], s[1]) for s in spine]
    assert [r["qty"] for r in rows] == ["2", "5", "4", "3", None, "1", None]


@pytest.mark.parametrize("ext", ["parquet", "jsonl"])
def test_output_formats_agree_with_csv(shop, tmp_path, ext):
    load(shop, tmp_path, [order(1, "o1", 1.5, "2026-01-10T00:00:00Z"),
                          order(2, "o2", None, "2026-01-10T00:00:00Z")])
    spine = [[2, "2026-01-11T00:00:00Z"], [1, "2026-01-11T00:00:00Z"],
             [3, "2026-01-11T00:00:00Z"]]
    csv_rows, _ = fst.historical(shop, spine)
    out = tmp_path / f"out.{ext}"
    fst.run(["historical", "--entities", tmp_path / "shop-h" / "spine.csv",
             "--features", fst.FEATURES, "--out", out], shop)
    if ext == "parquet":
        got = pq.read_table(out).to_pylist()
    else:
        got = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert [str(r["customer_id"]) for r in got] == ["2", "1", "3"]
    assert [r["order_id"] for r in got] == [r["order_id"] for r in csv_rows] == ["o2", "o1", None]
    assert [r["amount"] for r in got] == [None, 1.5, None]
