"""An ingest killed with SIGKILL leaves nothing visible; its retry makes every row visible once.

FST_KILL_POINT (docs/cli.md) makes `ingest` kill itself after writing its first Parquet part
(ingest.after_part) or after writing all parts (ingest.before_publish), before publishing.
Rows are counted with a count aggregation over a long window, so a duplicated row shows.
"""
import pytest

import fst

COUNT_YAML = fst.SHOP_YAML.replace("feature_services:", """\
  - name: order_counts
    entities: [customer]
    source: orders
    ttl: 0
    online: false
    features:
      - {name: n_orders, agg: count, column: order_id, window: 3650d}
feature_services:""")

LOOKUP = "2026-02-15T00:00:00Z"   # ttl 30d reaches back to 2026-01-16
BASE_ROWS = [[c, f"base{c}", 1.0, "2026-01-25T00:00:00Z", "2026-01-25T00:00:00Z"]
             for c in range(1, 11)]


def crash_rows():
    """Rows for customers 1..30 over ten days (several date partitions), 1-3 rows each."""
    rows = []
    for c in range(1, 31):
        for k in range(1 + c % 3):
            day = 1 + (c + 3 * k) % 10
            rows.append([c, f"crash{c}_{k}", float(c * 10 + k), f"2026-02-{day:02d}T12:00:00Z",
                         f"2026-02-{day:02d}T12:00:00Z"])
    return rows


def counts(repo, customers, tag):
    rows, _ = fst.historical(repo, [[c, LOOKUP] for c in customers],
                             features="order_counts:n_orders", tag=tag)
    return {int(r["customer_id"]): int(float(r["n_orders"] or 0)) for r in rows}


def expected_counts(*row_sets, customers):
    n = {c: 0 for c in customers}
    for rows in row_sets:
        for r in rows:
            n[r[0]] += 1
    return n


def latest(repo, customers, tag):
    rows, out_bytes = fst.historical(repo, [[c, LOOKUP] for c in customers], tag=tag)
    return [r["order_id"] for r in rows], out_bytes


@pytest.fixture
def repo(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", COUNT_YAML)
    fst.ingest(repo, "orders", fst.write_csv(tmp_path / "base.csv", fst.ORDERS_HEADER, BASE_ROWS))
    return repo


CUSTOMERS = list(range(1, 32))


@pytest.mark.parametrize("point", ["ingest.after_part", "ingest.before_publish"])
def test_killed_ingest_leaves_nothing_visible_and_retry_lands_once(repo, tmp_path, point):
    before_ids, before_bytes = latest(repo, CUSTOMERS, "before")
    assert before_ids == [f"base{c}" for c in range(1, 11)] + [None] * 21

    crash = fst.write_csv(tmp_path / "crash.csv", fst.ORDERS_HEADER, crash_rows())
    p = fst.ingest(repo, "orders", crash, env={"FST_KILL_POINT": point}, ok=None)
    assert p.returncode == -9, f"expected death by SIGKILL at {point}, got exit {p.returncode}: " \
                               f"{p.stdout} {p.stderr}"
    ids, out_bytes = latest(repo, CUSTOMERS, "after_kill")
    assert out_bytes == before_bytes, f"rows of the killed ingest are visible: {ids}"
    assert counts(repo, CUSTOMERS, "n_after_kill") == \
        expected_counts(BASE_ROWS, customers=CUSTOMERS)

    # Another ingest after the crash must not publish the dead one's parts.
    other_rows = [[31, "other31", 5.0, "2026-01-20T00:00:00Z", "2026-01-20T00:00:00Z"]]
    other = fst.write_csv(tmp_path / "other.csv", fst.ORDERS_HEADER, other_rows)
    fst.ingest(repo, "orders", other)
    ids, _ = latest(repo, CUSTOMERS, "after_other")
    assert ids == before_ids[:30] + ["other31"]

    p = fst.ingest(repo, "orders", crash)
    assert "ingested" in p.stdout and "skipped" not in p.stdout, p.stdout
    ids, _ = latest(repo, CUSTOMERS, "after_retry")
    winners = {}
    for r in crash_rows():
        winners[r[0]] = max(winners.get(r[0], ("", "")), (r[3], r[1]))
    assert ids == [winners[c][1] for c in range(1, 31)] + ["other31"]
    assert counts(repo, CUSTOMERS, "n_after_retry") == \
        expected_counts(BASE_ROWS, crash_rows(), other_rows, customers=CUSTOMERS)


def test_same_file_twice_is_skipped(repo, tmp_path):
    path = fst.write_csv(tmp_path / "crash.csv", fst.ORDERS_HEADER, crash_rows())
    p = fst.ingest(repo, "orders", path)
    assert "ingested" in p.stdout, p.stdout
    ids, out_bytes = latest(repo, CUSTOMERS, "once")
    n_once = counts(repo, CUSTOMERS, "n_once")
    assert n_once == expected_counts(BASE_ROWS, crash_rows(), customers=CUSTOMERS)

    p = fst.ingest(repo, "orders", path)
    assert "skipped" in p.stdout, p.stdout
    assert latest(repo, CUSTOMERS, "twice")[1] == out_bytes
    assert counts(repo, CUSTOMERS, "n_twice") == n_once

    copy = tmp_path / "copy_of_crash.csv"
    copy.write_bytes(path.read_bytes())
    # A copy under another name may be recognised or not, but never counted half.
    p = fst.ingest(repo, "orders", copy)
    n_copy = counts(repo, CUSTOMERS, "n_copy")
    if "skipped" in p.stdout:
        assert n_copy == n_once
    else:
        assert n_copy == expected_counts(BASE_ROWS, crash_rows(), crash_rows(),
                                         customers=CUSTOMERS)
