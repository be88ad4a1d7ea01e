"""An ingest killed with SIGKILL leaves nothing visible; its retry makes every row visible once.

FST_KILL_POINT (docs/cli.md) makes `ingest` kill itself after writing its first Parquet part
(ingest.after_part) or after writing all parts (ingest.before_publish), before publishing.
Visibility is checked with latest-row features; that every row lands exactly once (a duplicate
is invisible to a latest-row lookup) with a count aggregation over a long window.
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


def make_repo(tmp_path, yaml_text):
    repo = fst.make_repo(tmp_path / "shop", yaml_text)
    fst.ingest(repo, "orders", fst.write_csv(tmp_path / "base.csv", fst.ORDERS_HEADER, BASE_ROWS))
    return repo


def kill(repo, path, point):
    p = fst.ingest(repo, "orders", path, env={"FST_KILL_POINT": point}, ok=None)
    assert p.returncode == -9, f"expected death by SIGKILL at {point}, got exit {p.returncode}: " \
                               f"{p.stdout} {p.stderr}"


def ingested(repo, path, n_rows):
    p = fst.ingest(repo, "orders", path)
    assert "ingested" in p.stdout and "skipped" not in p.stdout, p.stdout
    assert f"{n_rows} rows" in p.stdout, p.stdout


CUSTOMERS = list(range(1, 32))
OTHER_ROWS = [[31, "other31", 5.0, "2026-01-20T00:00:00Z", "2026-01-20T00:00:00Z"]]


@pytest.mark.parametrize("point", ["ingest.after_part", "ingest.before_publish"])
def test_killed_ingest_leaves_nothing_visible_and_retry_lands(tmp_path, point):
    repo = make_repo(tmp_path, fst.SHOP_YAML)
    before_ids, before_bytes = latest(repo, CUSTOMERS, "before")
    assert before_ids == [f"base{c}" for c in range(1, 11)] + [None] * 21

    crash = fst.write_csv(tmp_path / "crash.csv", fst.ORDERS_HEADER, crash_rows())
    kill(repo, crash, point)
    ids, out_bytes = latest(repo, CUSTOMERS, "after_kill")
    assert out_bytes == before_bytes, f"rows of the killed ingest are visible: {ids}"

    # Another ingest after the crash must not publish the dead one's parts.
    ingested(repo, fst.write_csv(tmp_path / "other.csv", fst.ORDERS_HEADER, OTHER_ROWS), 1)
    ids, _ = latest(repo, CUSTOMERS, "after_other")
    assert ids == before_ids[:30] + ["other31"]

    ingested(repo, crash, len(crash_rows()))
    ids, _ = latest(repo, CUSTOMERS, "after_retry")
    winners = {}
    for r in crash_rows():
        winners[r[0]] = max(winners.get(r[0], ("", "")), (r[3], r[1]))
    assert ids == [winners[c][1] for c in range(1, 31)] + ["other31"]


def test_same_file_twice_is_skipped(tmp_path):
    repo = make_repo(tmp_path, fst.SHOP_YAML)
    path = fst.write_csv(tmp_path / "crash.csv", fst.ORDERS_HEADER, crash_rows())
    ingested(repo, path, len(crash_rows()))
    _, out_bytes = latest(repo, CUSTOMERS, "once")
    p = fst.ingest(repo, "orders", path)
    assert "skipped" in p.stdout, p.stdout
    assert latest(repo, CUSTOMERS, "twice")[1] == out_bytes


def test_every_row_lands_exactly_once(tmp_path):
    """Kill at both points, retry, ingest the same file again and a copy of it: row counts."""
    repo = make_repo(tmp_path, COUNT_YAML)
    base = expected_counts(BASE_ROWS, customers=CUSTOMERS)
    assert counts(repo, CUSTOMERS, "n_base") == base

    crash = fst.write_csv(tmp_path / "crash.csv", fst.ORDERS_HEADER, crash_rows())
    kill(repo, crash, "ingest.after_part")
    assert counts(repo, CUSTOMERS, "n_kill1") == base
    kill(repo, crash, "ingest.before_publish")
    assert counts(repo, CUSTOMERS, "n_kill2") == base
    ingested(repo, fst.write_csv(tmp_path / "other.csv", fst.ORDERS_HEADER, OTHER_ROWS), 1)
    ingested(repo, crash, len(crash_rows()))
    once = expected_counts(BASE_ROWS, crash_rows(), OTHER_ROWS, customers=CUSTOMERS)
    assert counts(repo, CUSTOMERS, "n_retry") == once

    p = fst.ingest(repo, "orders", crash)
    assert "skipped" in p.stdout, p.stdout
    assert counts(repo, CUSTOMERS, "n_twice") == once

    # A copy under another name may be recognised or not, but never counted half.
    copy = tmp_path / "copy_of_crash.csv"
    copy.write_bytes(crash.read_bytes())
    p = fst.ingest(repo, "orders", copy)
    n_copy = counts(repo, CUSTOMERS, "n_copy")
    if "skipped" in p.stdout:
        assert n_copy == once
    else:
        assert n_copy == expected_counts(BASE_ROWS, crash_rows(), crash_rows(), OTHER_ROWS,
                                         customers=CUSTOMERS)
