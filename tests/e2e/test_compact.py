"""`featherstone compact SOURCE`: many small parts (ingests, pushes) merged into few files, and
everything that reads them answers the same: `historical` (also as of an earlier moment, through
`reproduce`), `online` after `materialize --incremental` with late rows of old and new ingests
in one compacted file, `freshness`, and `describe`. A compaction killed before or after its
commit leaves the data as it was, and the next one cleans up (docs/impl.md "Compaction")."""
import json
import pathlib
import re
import shutil

import pytest

import fst
from test_feedback import ago, served  # noqa: F401  (served: a repo with logged responses)

YAML = fst.SHOP_YAML.replace("feature_services:", """\
  - name: order_stats
    entities: [customer]
    source: orders
    ttl: 0
    online: true
    features:
      - {name: n_orders_7d, agg: count, column: order_id, window: 7d}
      - {name: amount_7d, agg: sum, column: amount, window: 7d}
      - {name: last_amount, agg: last, column: amount, window: 30d}
feature_services:""")

FEATURES = ("customer_features:amount,customer_features:order_id,order_stats:n_orders_7d,"
            "order_stats:amount_7d,order_stats:last_amount")
CUSTOMERS = list(range(1, 9))
SPINE = [[c, f"2026-02-{d:02d}T{h:02d}:00:00Z"] for c in CUSTOMERS for d in (3, 8, 12, 20)
         for h in (0, 12)]


def orders(batch, n, days=9):
    """n orders of batch `batch` over days 1..`days` of February: few customers and times
    (ties), some without amount."""
    rows = []
    for i in range(n):
        c = 1 + (batch * 7 + i * 3) % 7
        day = 1 + (batch + i) % days
        amount = None if (batch + i) % 5 == 0 else float(batch * 10 + i)
        rows.append([c, f"b{batch}-{i}", amount, f"2026-02-{day:02d}T{(i % 2) * 12:02d}:00:00Z",
                     f"2026-02-{day:02d}T00:00:00Z"])
    return rows


def push(repo, tmp_path, batch, n):
    lines = [json.dumps(dict(zip(fst.ORDERS_HEADER, r))) for r in orders(batch, n)]
    path = tmp_path / f"push-{batch}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    fst.run(["push", "orders", path, "--offline-only"], repo)


def parquet_files(repo):
    return sorted(p.name for p in (pathlib.Path(repo) / ".featherstone/offline/orders").iterdir())


def describe(repo):
    return json.loads(fst.run(["describe", "orders", "--json"], repo).stdout)["data"]


def online_all(repo):
    return fst.run(["online", "--features", FEATURES, "--at", "2026-02-20T00:00:00Z"]
                   + [a for c in CUSTOMERS + [99] for a in ("--entity", f"customer_id={c}")],
                   repo).stdout


def historical_bytes(repo, tag):
    _, out = fst.historical(repo, SPINE, features=FEATURES, tag=tag)
    return out


def freshness(repo):
    views = json.loads(fst.run(["freshness", "--json"], repo).stdout)["views"]
    return [(v["view"], v["pending_ingests"], v["watermark"]) for v in views]


@pytest.fixture
def small_parts(tmp_path):
    """Ten small ingests and three pushes up to February 9, materialized up to the 10th, then
    three ingests of customers 1 and 4 with late rows (before the 10th) and new ones: 16 part
    files of 2-7 rows."""
    repo = fst.make_repo(tmp_path / "shop", YAML)
    for b in range(10):
        fst.ingest(repo, "orders", fst.write_csv(tmp_path / f"in-{b}.csv", fst.ORDERS_HEADER,
                                                 orders(b, 3 + b % 5)))
    for b in range(10, 13):
        push(repo, tmp_path, b, 4)
    fst.run(["materialize", "--end", "2026-02-10T00:00:00Z"], repo)
    for b in range(13, 16):
        fst.ingest(repo, "orders", fst.write_csv(tmp_path / f"in-{b}.csv", fst.ORDERS_HEADER,
                                                 orders(b, 2, days=14)))
    assert len(parquet_files(repo)) == 16
    return repo


def test_compaction_changes_no_answer(small_parts, tmp_path):
    repo = small_parts
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain)
    before = historical_bytes(repo, "before")
    fresh_before = freshness(repo)
    rows_before = describe(repo)["rows"]

    assert "Example: featherstone" in fst.run(["compact", "--help"]).stdout
    p = fst.run(["compact", "orders", "--dry-run"], repo)
    assert "would merge 16 files" in p.stdout and "16 -> 1 files" in p.stdout, p.stdout
    assert len(parquet_files(repo)) == 16
    p = fst.run(["compact", "orders", "--target-rows", "30"], repo)
    assert "compacted orders: 16 -> 3 files, 68 rows moved" in p.stdout, p.stdout
    assert all(name.startswith("compact-") for name in parquet_files(repo))
    assert len(parquet_files(repo)) == 3

    assert historical_bytes(repo, "after") == before
    assert freshness(repo) == fresh_before
    data = describe(repo)
    assert data["rows"] == rows_before and data["ingests"] == 16 and data["files"] == 3
    assert data["last_compaction_at"] is not None
    events = [json.loads(line) for line in
              fst.run(["lineage", "events", "--job", "compact.orders"], repo).stdout.splitlines()]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[1]["outputs"][0]["name"] == "offline/orders"

    # Late rows of old ingests and rows of new ones sit in the same compacted files now:
    # the incremental refresh must pick up exactly the keys it would have without compaction.
    # The same keys are recomputed, no more (only customers 1 and 4 have rows of ingests after
    # the watermark or times after it), no fewer.
    refreshed = fst.run(["materialize", "--incremental", "--end", "2026-02-20T00:00:00Z"], repo)
    expected = fst.run(["materialize", "--incremental", "--end", "2026-02-20T00:00:00Z"], plain)
    assert refreshed.stdout == expected.stdout
    assert "materialized order_stats: 2 keys" in refreshed.stdout, refreshed.stdout
    assert online_all(repo) == online_all(plain)
    assert historical_bytes(repo, "again") == historical_bytes(plain, "plain")

    # Compacting compacted files: everything fits one file now.
    p = fst.run(["compact", "orders"], repo)
    assert "compacted orders: 3 -> 1 files" in p.stdout, p.stdout
    assert historical_bytes(repo, "once-more") == before
    p = fst.run(["compact", "orders"], repo)
    assert "nothing to compact" in p.stdout, p.stdout


@pytest.mark.parametrize("point", ["compact.after_part", "compact.before_commit",
                                   "compact.after_commit"])
def test_killed_compaction_leaves_the_data_and_the_next_cleans_up(small_parts, point):
    repo = small_parts
    before = historical_bytes(repo, "before")
    files = parquet_files(repo)
    p = fst.run(["compact", "orders", "--target-rows", "30"], repo,
                env={"FST_KILL_POINT": point}, ok=None)
    assert p.returncode == -9, f"expected death by SIGKILL at {point}: {p.stdout} {p.stderr}"
    assert historical_bytes(repo, "killed") == before
    listed = describe(repo)["files"]
    if point == "compact.after_commit":
        assert listed == 3  # committed; the replaced files are still on disk
        assert len(parquet_files(repo)) == 16 + 3
    else:
        assert listed == 16 and set(files) <= set(parquet_files(repo))
    p = fst.run(["compact", "orders", "--target-rows", "30"], repo)
    assert "deleted" in p.stdout and "unlisted files" in p.stdout, p.stdout
    assert len(parquet_files(repo)) == 3 and describe(repo)["files"] == 3
    assert historical_bytes(repo, "after") == before


def test_reproduce_gives_the_same_verdict_after_compaction(served):  # noqa: F811
    repo, ids, tmp = served
    late = fst.write_csv(tmp / "late.csv", fst.ORDERS_HEADER,
                         [[1, "o9", 555.0, ago(minutes=1), ago(minutes=1)]])
    ingested = fst.ingest(repo, "orders", late).stdout
    late_id = re.search(r"\(ingest #(\d+),", ingested).group(1)
    other = fst.write_csv(tmp / "other.csv", fst.ORDERS_HEADER,
                          [[2, "o10", 1.5, ago(days=3), ago(days=3)]])
    fst.ingest(repo, "orders", other)

    def verdicts():
        out = []
        for request_id in ids:
            p = fst.run(["reproduce", "--request-id", request_id, "--json"], repo, ok=None)
            assert p.returncode in (0, 1), p.stderr
            out.append(json.loads(p.stdout))
        return out

    before = verdicts()
    assert {m["reason"] for m in before[0]["mismatches"]} == {"late_data"}
    text_before = fst.run(["reproduce", "--request-id", ids[0]], repo, ok=1).stdout
    assert f"late_data: ingest #{late_id} of source 'orders' (" in text_before, text_before
    p = fst.run(["compact", "orders"], repo)
    assert "compacted orders: 3 -> 1 files" in p.stdout, p.stdout
    assert verdicts() == before
    assert fst.run(["reproduce", "--request-id", ids[0]], repo, ok=1).stdout == text_before
