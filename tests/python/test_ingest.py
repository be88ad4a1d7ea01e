"""fs.ingest: paths, pandas and pyarrow inputs, timestamps (naive = UTC), bad data."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import featherstone as fst
import shop

SPINE = [(1, "2026-01-02T00:00:00Z"), (1, "2026-01-06T00:00:00Z"), (2, "2026-01-04T00:00:00Z"),
         (3, "2026-01-04T00:00:00Z")]


def small_orders():
    # customer_id, order_id, amount, event_ts (UTC wall time), created_ts
    return [(1, "a", 10.0, "2026-01-01 10:00:00", "2026-01-01 11:00:00"),
            (1, "b", 20.0, "2026-01-05 10:00:00", "2026-01-05 11:00:00"),
            (2, "c", None, "2026-01-03 08:30:00", "2026-01-03 09:00:00")]


def frame(tz=None):
    rows = small_orders()
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "amount", "event_ts",
                                     "created_ts"])
    for c in ("event_ts", "created_ts"):
        ts = pd.to_datetime(df[c])
        if tz is not None:  # the same instants, written in another zone
            ts = ts.dt.tz_localize("UTC").dt.tz_convert(tz)
        df[c] = ts
    return df


def training_set(fs):
    spine = pa.table({"customer_id": [r[0] for r in SPINE],
                      "event_timestamp": pa.array([r[1] for r in SPINE]).cast(
                          pa.timestamp("us", tz="UTC"))})
    return fs.get_historical_features(spine, shop.FEATURES).to_pydict()


EXPECTED = {"amount": [10.0, 20.0, None, None], "order_id": ["a", "b", "c", None]}


def new_store(tmp_path, name, source_format="csv"):
    fs = fst.FeatureStore(tmp_path / name)
    shop.define_shop(fs, source_format)
    fs.apply()
    return fs


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York", "Asia/Kolkata"])
def test_pandas_timestamps_naive_are_utc_aware_are_converted(tmp_path, tz):
    fs = new_store(tmp_path, "repo")
    result = fs.ingest("orders", frame(tz))
    assert (result.rows, result.skipped, result.input) == (3, False, "<DataFrame>")
    got = training_set(fs)
    assert {k: got[k] for k in EXPECTED} == EXPECTED


@pytest.mark.parametrize("unit,tz", [("s", None), ("ms", "UTC"), ("us", None),
                                     ("ns", "Europe/Paris")])
def test_pyarrow_tables_of_any_timestamp_unit(tmp_path, unit, tz):
    df = frame()
    table = pa.Table.from_pandas(df, preserve_index=False)
    for c in ("event_ts", "created_ts"):
        i = table.schema.get_field_index(c)
        col = table.column(c).cast(pa.timestamp(unit))  # naive wall time = UTC
        if tz is not None:
            col = col.cast(pa.timestamp(unit, tz="UTC")).cast(pa.timestamp(unit, tz=tz))
        table = table.set_column(i, c, col)
    fs = new_store(tmp_path, "repo", source_format="parquet")
    assert fs.ingest("orders", table).rows == 3
    got = training_set(fs)
    assert {k: got[k] for k in EXPECTED} == EXPECTED


def test_dataframe_and_csv_file_give_the_same_data(tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("customer_id,order_id,amount,event_ts,created_ts\n" + "".join(
        f"{c},{o},{'' if a is None else a},{e.replace(' ', 'T')}Z,{cr.replace(' ', 'T')}Z\n"
        for c, o, a, e, cr in small_orders()))
    from_file = new_store(tmp_path, "file")
    assert from_file.ingest("orders", csv).input == str(csv)
    from_frame = new_store(tmp_path, "frame")
    from_frame.ingest("orders", frame())
    assert training_set(from_file) == training_set(from_frame)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", None])
def test_in_memory_data_follows_the_sources_declared_format(tmp_path, fmt):
    fs = new_store(tmp_path, "repo", source_format=fmt)
    fs.ingest("orders", pa.Table.from_pandas(frame("UTC"), preserve_index=False))
    got = training_set(fs)
    assert {k: got[k] for k in EXPECTED} == EXPECTED


def test_same_data_twice_is_skipped_and_lists_of_paths(tmp_path, orders_rows):
    fs = new_store(tmp_path, "repo")
    first = fs.ingest("orders", frame())
    again = fs.ingest("orders", frame())
    assert again.skipped and again.ingest_id == first.ingest_id
    a = shop.write_orders_csv(tmp_path / "a.csv", orders_rows[:100])
    b = shop.write_orders_csv(tmp_path / "b.csv", orders_rows[100:300])
    results = fs.ingest(fst.FileSource("orders", {"x": "int64"}, "x"), [a, str(b)])
    assert [r.rows for r in results] == [100, 200]
    assert [r.skipped for r in fs.ingest("orders", [a, b])] == [True, True]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bad_rows_raise_validation_error_and_write_nothing(tmp_path, fmt):
    fs = new_store(tmp_path, "repo", source_format=fmt)
    df = frame()
    df["amount"] = df["amount"].astype(object)
    df.loc[1, "amount"] = "lots"
    with pytest.raises(fst.ValidationError) as e:
        fs.ingest("orders", df)
    message = str(e.value)
    assert "<DataFrame>" in message and "row 2" in message and "amount" in message
    assert ".featherstone/tmp" not in message
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("customer_id,order_id,amount,event_ts,created_ts\n"
                       "1,a,1.5,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
                       "x,b,2.5,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n")
    if fmt == "csv":
        with pytest.raises(fst.ValidationError, match=r"bad\.csv: row 2, column 'customer_id': "
                                                      r"value 'x'"):
            fs.ingest("orders", bad_csv)
    assert training_set(fs)["amount"] == [None] * 4  # nothing was written
    assert not (fs.repo_path / ".featherstone" / "tmp").exists()  # no temporary copy


def test_unknown_source_and_missing_file(tmp_path):
    fs = new_store(tmp_path, "repo")
    with pytest.raises(fst.NotFoundError, match="unknown source 'nope'; applied sources: churn_model__log, orders"):
        fs.ingest("nope", frame())
    with pytest.raises(fst.FeatherstoneError, match="no-such-file.csv"):
        fs.ingest("orders", tmp_path / "no-such-file.csv")
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        fs.ingest("orders", 42)


def test_ingest_before_apply(tmp_path):
    fs = fst.FeatureStore(tmp_path / "fresh")
    with pytest.raises(fst.FeatherstoneError, match="nothing is applied"):
        fs.ingest("orders", frame())
