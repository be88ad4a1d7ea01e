"""Training sets without an entity file: `historical --spine` and `--spine-source`.

The generated rows are checked against a brute-force enumeration, and the features against
`historical --entities` on a file holding those same rows (itself checked against the naive
reference by the property tests)."""
import datetime as dt
import random

import pyarrow.parquet as pq
import pytest

import fst

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)

YAML = """\
project: shop
entities:
  - name: customer
    join_keys: [customer_id]
  - name: store
    join_keys: [store_id]
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: store_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp, nullable: true}
      - {name: paid_ts, type: timestamp, nullable: true}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 10d
    features:
      - {name: amount}
      - {name: spend_3d, agg: sum, column: amount, window: 3d}
      - {name: orders_7d, agg: count, window: 7d}
  - name: store_features
    entities: [store]
    source: orders
    features:
      - {name: store_spend_2d, agg: sum, column: amount, window: 2d}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:spend_3d,
               customer_features:orders_7d]
"""
HEADER = ["customer_id", "store_id", "amount", "event_ts", "created_ts", "paid_ts"]
START = dt.datetime(2026, 1, 1, tzinfo=UTC)


def random_orders(rng, n, customers):
    """Orders with duplicate keys, equal times (ties), null amounts and created times."""
    rows = []
    for i in range(n):
        at = START + dt.timedelta(hours=rng.randrange(0, 24 * 30))
        created = None if rng.random() < 0.2 else at + dt.timedelta(minutes=rng.randrange(0, 3))
        paid = None if rng.random() < 0.3 else at + dt.timedelta(hours=rng.randrange(0, 48))
        amount = None if rng.random() < 0.1 else round(rng.uniform(1, 100), 2)
        rows.append([rng.choice(customers), f"s{rng.randrange(0, 5)}", amount, fst.iso(at),
                     created and fst.iso(created), paid and fst.iso(paid)])
    return rows


@pytest.fixture
def repo(tmp_path):
    rng = random.Random(7)
    repo = fst.make_repo(tmp_path / "shop", YAML)
    customers = rng.sample(range(1, 10_000), 40)
    # Two ingests, the second with late rows for the same keys.
    for i in range(2):
        path = fst.write_csv(tmp_path / f"orders_{i}.csv", HEADER, random_orders(rng, 300, customers))
        fst.ingest(repo, "orders", path)
    return repo


def stored_orders(repo, tmp_path):
    out = tmp_path / "all.csv"
    fst.run(["historical", "--spine-source", "orders", "--features", "customer_features:amount",
             "--out", out, "--full-feature-names"], repo)
    return fst.read_csv(out)


def spine_rows(repo, tmp_path, spine, chunk_rows=None, service="churn_model", name="spine.csv"):
    out = tmp_path / name
    args = ["historical", "--spine", spine, "--service", service, "--out", out]
    if chunk_rows:
        args += ["--chunk-rows", chunk_rows]
    fst.run(args, repo)
    return out.read_bytes()


def by_entity_file(repo, tmp_path, rows, service="churn_model", header=fst.SPINE_HEADER):
    _, data = fst.historical(repo, rows, service=service, spine_header=header,
                             out_name="reference.csv", tag="ref")
    return data


def test_every_spine_is_every_key_at_every_step_and_equals_the_entity_file_path(repo, tmp_path):
    keys = sorted({int(r["customer_id"]) for r in fst.read_csv(tmp_path / "orders_0.csv")} |
                  {int(r["customer_id"]) for r in fst.read_csv(tmp_path / "orders_1.csv")})
    times = [START + DAY * d for d in range(0, 31, 3)]   # 2026-01-01 .. 2026-01-31 inclusive
    expected = [[k, fst.iso(t)] for k in keys for t in times]
    spine = "every 3d from 2026-01-01 to 2026-01-31T00:00:00Z for all customer"
    # Chunks of 7 rows cut keys apart: the output must not depend on the chunking.
    for chunk in (None, 7, 1):
        data = spine_rows(repo, tmp_path, spine, chunk_rows=chunk, name=f"s{chunk}.csv")
        rows = fst.read_csv(tmp_path / f"s{chunk}.csv")
        assert [[int(r["customer_id"]), r["event_timestamp"]] for r in rows] == expected
        assert data == by_entity_file(repo, tmp_path, expected)


def test_every_spine_defaults_to_the_data_time_range(repo, tmp_path):
    rows = fst.read_csv(tmp_path / "orders_0.csv") + fst.read_csv(tmp_path / "orders_1.csv")
    first = min(fst.ts(r["event_ts"]) for r in rows)
    last = max(fst.ts(r["event_ts"]) for r in rows)
    keys = sorted({int(r["customer_id"]) for r in rows})
    steps = int((last - first) // dt.timedelta(hours=12)) + 1
    expected = [[k, fst.iso(first + dt.timedelta(hours=12) * i)] for k in keys for i in range(steps)]
    data = spine_rows(repo, tmp_path, "every 12h for all customer")
    got = fst.read_csv(tmp_path / "spine.csv")
    assert [[int(r["customer_id"]), r["event_timestamp"]] for r in got] == expected
    assert data == by_entity_file(repo, tmp_path, expected)


def test_string_keys_sort_and_views_of_other_entities_are_not_asked(repo, tmp_path):
    spine = "every 1d from 2026-01-10 to 2026-01-12 for all store"
    out = tmp_path / "stores.csv"
    fst.run(["historical", "--spine", spine, "--features", "store_features:store_spend_2d",
             "--out", out], repo)
    rows = fst.read_csv(out)
    expected = [[f"s{s}", fst.iso(START + DAY * d)] for s in range(5) for d in (9, 10, 11)]
    assert [[r["store_id"], r["event_timestamp"]] for r in rows] == expected
    _, data = fst.historical(repo, expected, features="store_features:store_spend_2d",
                             spine_header=["store_id", "event_timestamp"], out_name="ref.csv",
                             tag="stores")
    assert out.read_bytes() == data


def test_spine_from_a_source_is_its_stored_rows_at_the_chosen_time(repo, tmp_path):
    orders = fst.read_csv(tmp_path / "orders_0.csv") + fst.read_csv(tmp_path / "orders_1.csv")
    for at in ("event_ts", "paid_ts"):
        out = tmp_path / f"by-{at}.csv"
        p = fst.run(["historical", "--spine-source", "orders", "--spine-at", at,
                     "--service", "churn_model", "--out", out], repo)
        rows = fst.read_csv(out)
        expected = sorted((int(r["customer_id"]), fst.iso(fst.ts(r[at])))
                          for r in orders if r[at] is not None)
        assert sorted((int(r["customer_id"]), r["event_timestamp"]) for r in rows) == expected
        nulls = sum(1 for r in orders if r[at] is None)
        assert (f"left out {nulls} rows" in p.stdout) == (nulls > 0), p.stdout
        # The same rows in an entity file give the same features.
        spine = [[int(r["customer_id"]), r["event_timestamp"]] for r in rows]
        assert out.read_bytes() == by_entity_file(repo, tmp_path, spine)


def test_bad_spines_are_refused_with_what_was_expected(repo, tmp_path):
    out = tmp_path / "x.csv"

    def refused(*args):
        return fst.run(["historical", *args, "--service", "churn_model", "--out", out], repo,
                       ok=False).stderr

    assert "'every STEP [from TIME] [to TIME] for all ENTITY'" in refused("--spine", "each 1d")
    assert "'fortnightly' is not a positive duration" in refused(
        "--spine", "every fortnightly for all customer")
    assert "'2026-13-01' after 'from' is not a time" in refused(
        "--spine", "every 1d from 2026-13-01 for all customer")
    assert "unknown entity 'custmer'; the entities are: customer, store" in refused(
        "--spine", "every 1d for all custmer")
    assert "no requested feature view is keyed by entity 'store' alone" in refused(
        "--spine", "every 1d for all store")
    assert "is before 'from'" in refused(
        "--spine", "every 1d from 2026-02-01 to 2026-01-01 for all customer")
    assert "has no timestamp column 'amount'; its timestamp columns are: event_ts, created_ts, " \
           "paid_ts" in refused("--spine-source", "orders", "--spine-at", "amount")
    err = refused("--spine", "every 1d for all customer", "--entities", "e.csv")
    assert "excludes" in err
    assert not out.exists() and not list(tmp_path.glob("x.csv.tmp-*"))


@pytest.mark.slow   # and its memory bound is for the release build, not a sanitizer's
def test_ten_million_spine_rows_in_bounded_memory(tmp_path):
    """10M generated rows (10,000 customers × 1,000 hours) in chunks of 250k: the process's
    peak RSS stays far below what holding the rows takes (about 1.7 GB here, measured with
    --chunk-rows 10000000)."""
    repo = fst.make_repo(tmp_path / "shop", YAML)
    rng = random.Random(3)
    rows = random_orders(rng, 30_000, [0])
    for i, row in enumerate(rows):
        row[0] = i % 10_000   # every customer has orders
    fst.ingest(repo, "orders", fst.write_csv(tmp_path / "orders.csv", HEADER, rows))
    out = tmp_path / "big.parquet"
    cmd = [fst.BIN, "-C", str(repo), "historical", "--spine",
           "every 1h from 2026-01-01 to 2026-02-11T15:00:00Z for all customer",
           "--service", "churn_model", "--out", str(out), "--chunk-rows", "250000"]
    child, peak = fst.run_measuring_peak(cmd)
    text = child.stdout + child.stderr
    assert child.returncode == 0, text
    assert "wrote 10000000 rows" in text
    assert pq.ParquetFile(out).metadata.num_rows == 10_000_000
    peak_mib = peak / (1 << 20)
    assert peak_mib < 250, f"peak RSS {peak_mib:.0f} MiB for 10M spine rows"
