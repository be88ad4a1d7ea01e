"""`historical --memory-limit`: the same output at any limit, in less memory under a small one,
and a clear usage error for a value that is not a size (docs/cli.md, docs/impl.md "Memory
limit")."""
import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fst

YAML = """\
project: mem
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    kind: file
    format: parquet
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64, nullable: true}
      - {name: status, type: string, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp, nullable: true}
feature_views:
  - name: cf
    entities: [customer]
    source: orders
    ttl: 10d
    features:
      - {name: amount}
      - {name: status}
      - {name: orders_7d, agg: count, window: 7d}
      - {name: amount_sum_30d, agg: sum, column: amount, window: 30d}
      - {name: amount_avg_3d, agg: avg, column: amount, window: 3d}
      - {name: amount_max_7d, agg: max, column: amount, window: 7d}
      - {name: amount_std_30d, agg: stddev, column: amount, window: 30d}
      - {name: status_last_30d, agg: last, column: status, window: 30d}
      - {name: statuses_30d, agg: count_distinct, column: status, window: 30d}
feature_services:
  - name: model
    features: [cf:amount, cf:status, cf:orders_7d, cf:amount_sum_30d, cf:amount_avg_3d,
               cf:amount_max_7d, cf:amount_std_30d, cf:status_last_30d, cf:statuses_30d]
"""

BASE_US = int(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
HOUR_US = 3600 * 1_000_000
TS = pa.timestamp("us", tz="UTC")


def orders(rng, rows, keys, hours):
    """Random orders: duplicate keys and times (ties on event time, broken by created time or
    by ingest order), null amounts and statuses."""
    ts = rng.integers(0, hours, rows) * HOUR_US + BASE_US
    created = ts + rng.integers(0, 3, rows) * 1_000_000
    amount = rng.integers(0, 10_000, rows) / 100.0
    return pa.table({
        "customer_id": pa.array(rng.integers(0, keys, rows), pa.int64()),
        "amount": pa.array(amount, pa.float64(), mask=rng.random(rows) < 0.1),
        "status": pa.array(rng.choice(["new", "paid", "shipped", "lost"], rows),
                           mask=rng.random(rows) < 0.05),
        "event_ts": pa.array(ts, pa.int64()).cast(TS),
        "created_ts": pa.array(created, pa.int64()).cast(TS, safe=False),
    })


def spine(rng, rows, keys, hours):
    return pa.table({
        "row_id": pa.array(range(rows), pa.int64()),
        "customer_id": pa.array(rng.integers(0, keys + keys // 20 + 1, rows), pa.int64()),
        "event_timestamp": pa.array(rng.integers(-24, hours + 24, rows) * HOUR_US + BASE_US,
                                    pa.int64()).cast(TS),
    })


def make_repo(tmp_path, rows, keys, hours, spine_rows, files=2):
    """A repo with `rows` orders ingested in `files` files (later files: late, out-of-order
    rows), and a spine file; returns (repo, spine path)."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(7)
    repo = fst.make_repo(tmp_path / "mem", YAML)
    for f in range(files):
        path = tmp_path / f"orders{f}.parquet"
        pq.write_table(orders(rng, rows // files, keys, hours), path)
        fst.ingest(repo, "orders", path)
    spine_path = tmp_path / "spine.parquet"
    pq.write_table(spine(rng, spine_rows, keys, hours), spine_path)
    return repo, spine_path


def assert_same_output(got, want, what):
    """The same rows and values; doubles (sums, averages, deviations) to 1e-12 relative: an
    entity chunk holding some of a key's rows slides its windows over fewer queries, which
    rounds the running sums differently in the last bits (docs/impl.md "Memory limit")."""
    assert got.schema == want.schema, what
    for name in want.column_names:
        x, y = got[name], want[name]
        if pa.types.is_floating(x.type):
            assert x.is_null().equals(y.is_null()), (what, name)
            a = x.fill_null(0).to_numpy()
            b = y.fill_null(0).to_numpy()
            assert ((a == b) | (abs(a - b) <= 1e-12 * abs(b))).all(), (what, name)
        else:
            assert x.equals(y), (what, name)


def historical(repo, spine_path, out, limit):
    return [fst.BIN, "-C", str(repo), "historical", "--entities", str(spine_path),
            "--service", "model", "--out", str(out), "--memory-limit", limit]


def test_small_limits_give_the_unlimited_output(tmp_path):
    """A few thousand orders: limits of 1 byte (an entity row per chunk, a key per pass) and
    64KB (chunks of 64 rows, passes of a few keys) give the unlimited table."""
    repo, spine_path = make_repo(tmp_path, 4_000, 150, 24 * 40, 300, files=3)
    outputs = {}
    for limit in ("none", "1", "64KB", "2GB"):
        out = tmp_path / f"out-{limit}.parquet"
        p = fst.run(historical(repo, spine_path, out, limit)[3:], repo)
        assert "wrote 300 rows" in p.stdout
        outputs[limit] = pq.read_table(out)
    unlimited = outputs.pop("none")
    assert unlimited["row_id"].to_pylist() == list(range(300))
    assert unlimited["orders_7d"].to_pylist() != [0] * 300
    for limit, table in outputs.items():
        assert_same_output(table, unlimited, f"--memory-limit {limit}")


@pytest.mark.slow   # its memory bound is for the release build, not a sanitizer's
def test_a_limit_below_the_data_bounds_peak_memory(tmp_path):
    """4M orders of 100k customers: --memory-limit 64MB gives the unlimited output with a peak
    RSS well below the unlimited run's."""
    repo, spine_path = make_repo(tmp_path, 4_000_000, 100_000, 24 * 90, 200_000)
    runs = {}
    for limit in ("none", "64MB"):
        out = tmp_path / f"big-{limit}.parquet"
        child, peak = fst.run_measuring_peak(historical(repo, spine_path, out, limit),
                                             timeout=600)
        assert child.returncode == 0, child.stdout + child.stderr
        assert "wrote 200000 rows" in child.stdout
        runs[limit] = (pq.read_table(out), peak / (1 << 20))
    (unlimited, unlimited_mib), (limited, limited_mib) = runs["none"], runs["64MB"]
    assert_same_output(limited, unlimited, "--memory-limit 64MB")
    print(f"peak RSS: no limit {unlimited_mib:.0f} MiB, --memory-limit 64MB {limited_mib:.0f} MiB")
    assert limited_mib < 0.5 * unlimited_mib, (limited_mib, unlimited_mib)
    assert limited_mib < 256, limited_mib


def test_a_value_that_is_not_a_size_is_a_usage_error(tmp_path):
    repo, spine_path = make_repo(tmp_path, 100, 10, 48, 5)
    for bad in ("abc", "=-5", "1.5GB", "12XB"):
        args = historical(repo, spine_path, tmp_path / "x.parquet", bad)[3:]
        if bad.startswith("="):
            args = args[:-2] + ["--memory-limit" + bad]
        p = fst.run(args, repo, ok=2)
        assert "--memory-limit" in p.stderr and "512MB, 2GB" in p.stderr, p.stderr
        assert "0 or none" in p.stderr, p.stderr
    assert not (tmp_path / "x.parquet").exists()
