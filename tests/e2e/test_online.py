"""Online lookups after materialization agree with the point-in-time join at the same time.

Random orders (seeded): a few thousand rows over a few hundred customers, with rows tied on
event_ts (and on created_ts), null amounts, rows exactly at the materialization end and at the
ttl boundary, rows after it, customers whose data is older than the ttl and customers with no
data at all. Ingested in three files. A Python reference of DESIGN section 3 checks the
historical answer; the online answer must equal the historical one.
"""
import datetime as dt
import random

import pytest

import fst

UTC = dt.timezone.utc
BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)
T = BASE + dt.timedelta(days=60)           # materialization end and lookup time
T2 = T + dt.timedelta(days=10)             # end of the incremental materialization
TTL = dt.timedelta(days=30)
CUSTOMERS = list(range(1, 301))
STALE = list(range(301, 311))              # only data older than T - ttl
ABSENT = list(range(311, 316))             # no data at all
ALL = CUSTOMERS + STALE + ABSENT


def generate(seed=20260101, n=3000):
    """Rows [customer_id, order_id, amount, event_ts, created_ts] in ingestion order."""
    rnd = random.Random(seed)
    rows = []

    def add(cust, event, created, amount="random"):
        if amount == "random":
            amount = None if rnd.random() < 0.05 else round(rnd.uniform(1, 500), 2)
        rows.append([cust, f"o{len(rows)}", amount, event, created])

    for _ in range(n):
        r = rnd.random()
        if rows and r < 0.10:          # same customer and event_ts as an earlier row
            prev = rows[rnd.randrange(len(rows))]
            created = prev[4] if rnd.random() < 0.5 else prev[4] + dt.timedelta(
                seconds=rnd.choice([-60, 60]))
            add(prev[0], prev[3], created)
            continue
        cust = rnd.choice(CUSTOMERS)
        if r < 0.13:
            event = T
        elif r < 0.15:
            event = T - TTL
        else:
            event = BASE + dt.timedelta(minutes=rnd.randrange(75 * 24 * 60))
        add(cust, event, event + dt.timedelta(seconds=rnd.randrange(3600)))
    for cust in STALE:
        for _ in range(3):
            event = BASE + dt.timedelta(minutes=rnd.randrange(25 * 24 * 60))
            add(cust, event, event)
    rnd.shuffle(rows)
    for i, row in enumerate(rows):      # order ids follow the final order, for readable failures
        row[1] = f"o{i}"
    return rows


def later_rows(seed=7, n=300):
    """New rows for the incremental run: event_ts in (T, T2]."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        event = T + dt.timedelta(minutes=1 + rnd.randrange(10 * 24 * 60 - 1))
        amount = round(rnd.uniform(1, 500), 2)
        rows.append([rnd.choice(CUSTOMERS), f"n{i}", amount, event, event])
    return rows


def reference(rows, customers, at, ttl=TTL):
    """order_id and amount of the PIT winner per customer at `at` (None when none is eligible)."""
    best = {}
    for seq, (cust, oid, amount, event, created) in enumerate(rows):
        if at - ttl <= event <= at:
            key = (event, created, seq)
            if cust not in best or key > best[cust][0]:
                best[cust] = (key, oid, amount)
    return {c: (best[c][1], best[c][2]) if c in best else (None, None) for c in customers}


def to_csv_rows(rows):
    return [[c, o, a, fst.iso(e), fst.iso(cr)] for c, o, a, e, cr in rows]


@pytest.fixture(scope="module")
def data():
    return generate()


@pytest.fixture
def loaded(shop, tmp_path, data):
    third = len(data) // 3
    parts = [data[:third], data[third:2 * third], data[2 * third:]]
    for i, part in enumerate(parts):
        path = fst.write_csv(tmp_path / f"orders_{i}.csv", fst.ORDERS_HEADER, to_csv_rows(part))
        fst.ingest(shop, "orders", path)
    return shop


def historical_at(repo, at, tag):
    rows, _ = fst.historical(repo, [[c, fst.iso(at)] for c in ALL], tag=tag)
    assert [int(r["customer_id"]) for r in rows] == ALL
    return {int(r["customer_id"]): (r["order_id"], fst.num(r["amount"])) for r in rows}


def online_at(repo, at):
    out = fst.online(repo, [{"customer_id": c} for c in ALL], at=fst.iso(at))
    assert [int(o["customer_id"]) for o in out] == ALL, "one object per entity, in input order"
    return {int(o["customer_id"]): (fst.feature(o, "customer_features", "order_id"),
                                    fst.feature(o, "customer_features", "amount")) for o in out}


def assert_same(got, expected, what):
    bad = [(c, got[c], expected[c]) for c in expected
           if got[c][0] != expected[c][0] or not fst.same_number(got[c][1], expected[c][1])]
    assert not bad, (f"{what}: {len(bad)} of {len(expected)} entities differ "
                     f"(customer, got, expected): {bad[:10]}")


def test_data_has_the_interesting_cases(data):
    expected = reference(data, ALL, T)
    assert sum(1 for v in expected.values() if v[0] is None) >= len(STALE) + len(ABSENT)
    keys = [(r[0], r[3]) for r in data]
    assert len(keys) - len(set(keys)) > 100, "rows tied on event_ts"
    assert sum(1 for r in data if r[3] > T) > 100, "rows after the end"


def test_historical_matches_reference(loaded, data):
    assert_same(historical_at(loaded, T, "hist"), reference(data, ALL, T), "historical vs reference")


def test_online_matches_historical(loaded, data):
    fst.run(["materialize", "--end", fst.iso(T)], loaded)
    expected = historical_at(loaded, T, "hist")
    assert_same(online_at(loaded, T), expected, "online vs historical")
    assert_same(expected, reference(data, ALL, T), "historical vs reference")


def test_ttl_is_enforced_at_read(loaded):
    fst.run(["materialize", "--end", fst.iso(T)], loaded)
    later = T + dt.timedelta(days=365)
    got = online_at(loaded, later)
    assert all(v == (None, None) for v in got.values()), \
        [(c, v) for c, v in got.items() if v != (None, None)][:10]
    just_inside = online_at(loaded, T + TTL)
    assert sum(1 for v in just_inside.values() if v[0] is not None) > 0


def test_incremental_picks_up_new_rows(loaded, data, tmp_path):
    fst.run(["materialize", "--end", fst.iso(T)], loaded)
    new = later_rows()
    path = fst.write_csv(tmp_path / "orders_new.csv", fst.ORDERS_HEADER, to_csv_rows(new))
    fst.ingest(loaded, "orders", path)
    fst.run(["materialize", "--incremental", "--end", fst.iso(T2)], loaded)
    expected = reference(data + new, ALL, T2)
    assert_same(historical_at(loaded, T2, "hist2"), expected, "historical vs reference at T2")
    assert_same(online_at(loaded, T2), expected, "online vs reference after --incremental")
    picked = {c for c, (oid, _) in expected.items() if oid and oid.startswith("n")}
    assert len(picked) > 100


def test_online_service_and_two_join_keys(tmp_path):
    from test_pit_semantics import TWO_KEYS_YAML
    repo = fst.make_repo(tmp_path / "retail", TWO_KEYS_YAML)
    path = fst.write_csv(tmp_path / "stock.csv", ["store_id", "product_id", "qty", "event_ts"], [
        ["a", "bc", 1, "2026-01-01T00:00:00Z"],
        ["ab", "c", 2, "2026-01-02T00:00:00Z"],
        ["a", "bc", 5, "2026-01-05T00:00:00Z"],
        ["a", "bc", 6, "2026-01-09T00:00:00Z"],
    ])
    fst.ingest(repo, "stock", path)
    fst.run(["materialize", "--end", "2026-01-06T00:00:00Z"], repo)
    ents = [{"store_id": "ab", "product_id": "c"}, {"store_id": "a", "product_id": "bc"},
            {"store_id": "a", "product_id": "b"}]
    out = fst.online(repo, ents, features="stock_features:qty", at="2026-01-07T00:00:00Z")
    assert [(o["store_id"], o["product_id"]) for o in out] == [("ab", "c"), ("a", "bc"), ("a", "b")]
    assert [fst.feature(o, "stock_features", "qty") for o in out] == [2, 5, None]


def test_online_by_service(shop, tmp_path):
    path = fst.write_csv(tmp_path / "o.csv", fst.ORDERS_HEADER, [
        [42, "o1", 12.5, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]])
    fst.ingest(shop, "orders", path)
    fst.run(["materialize", "--end", "2026-01-02T00:00:00Z"], shop)
    out = fst.online(shop, [{"customer_id": 42}, {"customer_id": 43}], service="churn_model",
                     at="2026-01-03T00:00:00Z")
    assert [int(o["customer_id"]) for o in out] == [42, 43]
    assert fst.feature(out[0], "customer_features", "order_id") == "o1"
    assert fst.feature(out[0], "customer_features", "amount") == 12.5
    assert fst.feature(out[1], "customer_features", "order_id") is None
