"""get_historical_features: pandas / pyarrow / path inputs, identical to the CLI's output."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import featherstone as fst
import shop


def cli_training_set(repo, spine_path, tmp_path, *extra, features=shop.FEATURES):
    out = tmp_path / "cli_out.parquet"
    shop.cli(["historical", "--entities", spine_path, "--features", ",".join(features),
              "--out", out, *extra], repo)
    return pq.read_table(out)


def assert_same_table(sdk, cli):
    assert sdk.schema.remove_metadata() == cli.schema.remove_metadata(), (sdk.schema, cli.schema)
    assert sdk.equals(cli), (sdk.slice(0, 5), cli.slice(0, 5))


def spine_table():
    rows = shop.make_spine()
    return pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "event_timestamp": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
        "label": pa.array([r[2] for r in rows], pa.int64()),
    })


def test_identical_to_the_cli_for_a_csv_spine(loaded, tmp_path, cli_bin):
    fs, repo, _ = loaded
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine())
    cli = cli_training_set(repo, spine, tmp_path)
    sdk_path = fs.get_historical_features(spine, shop.FEATURES)  # read by the engine
    assert_same_table(sdk_path, cli)
    assert cli.num_rows == 400
    assert cli.column("amount").null_count < 400  # some rows found features


def test_identical_to_the_cli_for_pyarrow_and_pandas_spines(loaded, tmp_path, cli_bin):
    fs, repo, _ = loaded
    table = spine_table().select(["label", "event_timestamp", "customer_id"])
    pq.write_table(table, tmp_path / "spine.parquet")
    cli = cli_training_set(repo, tmp_path / "spine.parquet", tmp_path)
    assert_same_table(fs.get_historical_features(table, shop.FEATURES), cli)
    assert_same_table(fs.get_historical_features(table.to_pandas(), shop.FEATURES), cli)
    assert_same_table(fs.get_historical_features(tmp_path / "spine.parquet", shop.FEATURES), cli)
    # A reader and a record batch, through the Arrow C stream interface.
    assert_same_table(fs.get_historical_features(
        pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=64)),
        shop.FEATURES), cli)


def test_full_feature_names_and_services_match_the_cli(loaded, tmp_path, cli_bin):
    fs, repo, _ = loaded
    table = spine_table()
    pq.write_table(table, tmp_path / "spine.parquet")
    cli = cli_training_set(repo, tmp_path / "spine.parquet", tmp_path, "--full-feature-names")
    sdk = fs.get_historical_features(table, service="churn_model", full_feature_names=True)
    assert sdk.column_names == ["customer_id", "event_timestamp", "label",
                                "customer_features__amount", "customer_features__order_id"]
    assert_same_table(sdk, cli)
    view = fs.list_feature_views()[0]
    assert_same_table(fs.get_historical_features(table, [view], full_feature_names=True), cli)


@pytest.mark.parametrize("form", ["naive", "aware", "other_zone", "iso_text", "iso_offset_text",
                                  "epoch_s", "epoch_ms", "ns"])
def test_timestamp_column_forms(loaded, form):
    fs, _, _ = loaded
    base = spine_table()
    want = fs.get_historical_features(base, shop.FEATURES)
    utc = base.column("event_timestamp")
    if form == "naive":
        ts = utc.cast(pa.timestamp("us"))
    elif form == "aware":
        ts = utc
    elif form == "other_zone":
        ts = utc.cast(pa.timestamp("us", tz="America/Los_Angeles"))
    elif form == "iso_text":
        ts = pa.array([v.strftime("%Y-%m-%d %H:%M:%S") for v in utc.to_pylist()])
    elif form == "iso_offset_text":
        ts = pa.array([v.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()
                       for v in utc.to_pylist()])
    elif form == "epoch_s":
        ts = pa.array([int(v.timestamp()) for v in utc.to_pylist()], pa.int64())
    elif form == "epoch_ms":
        ts = pa.array([int(v.timestamp()) * 1000 for v in utc.to_pylist()], pa.int64())
    else:
        ts = utc.cast(pa.timestamp("ns"))
    got = fs.get_historical_features(base.set_column(1, "event_timestamp", ts), shop.FEATURES)
    assert got.equals(want)


def test_pandas_naive_and_aware_spines(loaded):
    fs, _, _ = loaded
    df = spine_table().to_pandas()
    want = fs.get_historical_features(df, shop.FEATURES)
    naive = df.copy()
    naive["event_timestamp"] = naive["event_timestamp"].dt.tz_localize(None)
    tokyo = df.copy()
    tokyo["event_timestamp"] = tokyo["event_timestamp"].dt.tz_convert("Asia/Tokyo")
    assert fs.get_historical_features(naive, shop.FEATURES).equals(want)
    assert fs.get_historical_features(tokyo, shop.FEATURES).equals(want)
    # Other key types are cast to the declared int64; a named index is kept as a column.
    as_text = df.copy()
    as_text["customer_id"] = as_text["customer_id"].astype(str)
    assert fs.get_historical_features(as_text, shop.FEATURES).equals(want)
    indexed = df.set_index("label")
    got = fs.get_historical_features(indexed, shop.FEATURES)
    assert got.column_names == ["customer_id", "event_timestamp", "label", "amount", "order_id"]
    # Entity columns come in the CLI's order: join keys, timestamp, the others.
    shuffled = df[["label", "event_timestamp", "customer_id"]]
    assert fs.get_historical_features(shuffled, shop.FEATURES).equals(want)


def test_result_is_point_in_time_correct(tmp_path):
    fs = fst.FeatureStore(tmp_path / "pit")
    shop.define_shop(fs, "parquet")
    fs.apply()
    t = pd.Timestamp
    fs.ingest("orders", pd.DataFrame({
        "customer_id": [7, 7, 7], "order_id": ["early", "tie_old", "tie_new"],
        "amount": [1.0, 2.0, 3.0],
        "event_ts": [t("2026-01-01"), t("2026-01-10"), t("2026-01-10")],
        "created_ts": [t("2026-01-01"), t("2026-01-10 01:00"), t("2026-01-10 02:00")]}))
    spine = pd.DataFrame({"customer_id": [7, 7, 7, 7, 8],
                          "event_timestamp": [t("2025-12-31"), t("2026-01-05"), t("2026-01-10"),
                                              t("2026-02-10"), t("2026-01-10")]})
    got = fs.get_historical_features(spine, ["customer_features:order_id"]).to_pydict()
    # before any data; latest at t; the tie goes to the later created_ts; past the 30d ttl;
    # an unknown key.
    assert got["order_id"] == [None, "early", "tie_new", None, None]


def test_errors(loaded):
    fs, _, _ = loaded
    table = spine_table()
    with pytest.raises(fst.ValidationError, match="entity rows: missing column 'customer_id'"):
        fs.get_historical_features(table.drop_columns(["customer_id"]), shop.FEATURES)
    with pytest.raises(fst.ValidationError, match="entity rows: missing column 'ts'; the rows have: customer_id"):
        fs.get_historical_features(table, shop.FEATURES, timestamp_column="ts")
    with pytest.raises(fst.ValidationError, match="entity rows: row 1, column 'customer_id': value 'x' is not a valid int64"):
        fs.get_historical_features(table.set_column(0, "customer_id", pa.array(
            ["x"] * table.num_rows)), shop.FEATURES)
    with pytest.raises(fst.NotFoundError, match="nope"):
        fs.get_historical_features(table, ["customer_features:nope"])
    with pytest.raises(fst.NotFoundError, match="unknown feature service 'nope'"):
        fs.get_historical_features(table, service="nope")
    with pytest.raises(fst.ValidationError, match="'amount' is produced by both"):
        fs.get_historical_features(table.append_column("amount", table.column("label")),
                                   shop.FEATURES)
    with pytest.raises(fst.ValidationError, match="features or service, not both"):
        fs.get_historical_features(table, shop.FEATURES, service="churn_model")
    with pytest.raises(TypeError):
        fs.get_historical_features(42, shop.FEATURES)


def test_empty_spine(loaded):
    fs, _, _ = loaded
    empty = spine_table().slice(0, 0)
    got = fs.get_historical_features(empty, shop.FEATURES)
    assert got.num_rows == 0
    assert got.column_names == ["customer_id", "event_timestamp", "label", "amount", "order_id"]


def test_spines_match_the_cli(loaded, tmp_path, cli_bin):
    fs, repo, _ = loaded
    text = "every 1d from 2026-01-01T00:00:00.000000Z to 2026-01-20T00:00:00.000000Z for all customer"
    spine = fst.Spine.every("1d", "customer", start=dt.date(2026, 1, 1),
                            end=dt.datetime(2026, 1, 20))
    assert spine.text == text
    out = tmp_path / "every.parquet"
    shop.cli(["historical", "--spine", text, "--features", ",".join(shop.FEATURES),
              "--out", out, "--chunk-rows", "100"], repo)
    cli = pq.read_table(out)
    assert cli.num_rows > 0 and cli.num_rows % 20 == 0
    assert_same_table(fs.get_historical_features(spine=spine, features=shop.FEATURES,
                                                 chunk_rows=7), cli)
    out = tmp_path / "source.parquet"
    shop.cli(["historical", "--spine-source", "orders", "--service", "churn_model",
              "--out", out], repo)
    assert_same_table(fs.get_historical_features(spine=fst.Spine.from_source("orders"),
                                                 service="churn_model"), pq.read_table(out))


def test_a_spine_or_entity_rows_exactly(loaded):
    fs, _, _ = loaded
    with pytest.raises(fst.ValidationError, match="exactly one of entity_df and spine"):
        fs.get_historical_features(features=shop.FEATURES)
    with pytest.raises(fst.ValidationError, match="exactly one of entity_df and spine"):
        fs.get_historical_features(spine_table(), shop.FEATURES,
                                   spine=fst.Spine.from_source("orders"))
    with pytest.raises(fst.NotFoundError, match="unknown entity 'shop'"):
        fs.get_historical_features(spine=fst.Spine.every("1d", "shop"), features=shop.FEATURES)


def test_memory_limit_gives_the_same_table_and_refuses_what_is_not_a_size(loaded, tmp_path):
    fs, _, _ = loaded
    table = spine_table()
    spine = shop.write_spine_csv(tmp_path / "spine.csv", shop.make_spine())
    want = fs.get_historical_features(table, shop.FEATURES, memory_limit=None)
    want_path = fs.get_historical_features(spine, shop.FEATURES, memory_limit=None)
    for limit in (1, "64KB", "2GB", 0, "none"):
        # 1 byte and 64KB: the 400 entity rows in chunks of one and of 64.
        assert_same_table(fs.get_historical_features(table, shop.FEATURES, memory_limit=limit),
                          want)
        assert_same_table(fs.get_historical_features(spine, shop.FEATURES, memory_limit=limit),
                          want_path)
    for bad in ("abc", -5, "1.5GB"):
        with pytest.raises(fst.ValidationError, match="expected bytes or a whole number"):
            fs.get_historical_features(table, shop.FEATURES, memory_limit=bad)
    with pytest.raises(fst.ValidationError, match="memory_limit: expected bytes"):
        fs.get_historical_features(table, shop.FEATURES, memory_limit=1.5)
