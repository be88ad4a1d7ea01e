"""The benchmark harness's own correctness: its data generator, its gate, and its brute-force
point-in-time reference (bench/). Runs with the project venv (pyarrow + pytest only); the
DuckDB check runs only where duckdb is importable, the CLI check only where the featherstone
binary exists."""
import hashlib
import os
import pathlib
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import fst

BENCH = fst.REPO_ROOT / "bench"
sys.path.insert(0, str(BENCH))

import datagen  # noqa: E402
import gate  # noqa: E402
import reference  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    """Overrides conftest's: only test_reference_agrees_with_cli needs the binary."""


def _sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------------ generator

def test_generator_same_seed_same_bytes(tmp_path):
    a = datagen.generate("tiny", tmp_path / "a", seed=7, log=lambda m: None)
    b = datagen.generate("tiny", tmp_path / "b", seed=7, log=lambda m: None)
    c = datagen.generate("tiny", tmp_path / "c", seed=8, log=lambda m: None)
    for name in a:
        assert _sha(a[name]) == _sha(b[name]), name
    assert _sha(a["features"]) != _sha(c["features"])
    assert _sha(a["spine"]) != _sha(c["spine"])


def test_generator_schema_and_sizes():
    t = datagen.feature_table("tiny")
    assert t.schema == pa.schema([
        ("customer_id", pa.int64()), ("f1", pa.float64()), ("f2", pa.float64()),
        ("f3", pa.float64()), ("f4", pa.int64()), ("f5", pa.string()),
        ("event_ts", pa.timestamp("us", tz="UTC")), ("created_ts", pa.timestamp("us", tz="UTC"))])
    assert t.num_rows == datagen.SIZES["tiny"].feature_rows
    s = datagen.spine_table("tiny", t)
    assert s.column_names == ["row_id", "customer_id", "event_timestamp"]
    assert s.num_rows == datagen.SIZES["tiny"].entity_rows
    assert s["row_id"].to_pylist() == list(range(s.num_rows))
    assert datagen.SIZES["S"] == datagen.Size("S", 1_000_000, 100_000, 100_000)
    assert datagen.SIZES["M"] == datagen.Size("M", 10_000_000, 1_000_000, 1_000_000)
    assert datagen.SIZES["L"] == datagen.Size("L", 100_000_000, 10_000_000, 10_000_000,
                                              streamed=True)


@pytest.mark.parametrize("batch_rows", [1, 7, 1000, 2999, 3000, 1 << 20])
def test_streamed_features_are_the_whole_table(tmp_path, batch_rows):
    """Batch by batch (a tie copies the row before it, across a batch edge too) gives the
    rows feature_table gives, and the picked rows' key and event time are take()'s."""
    size = datagen.SIZES["tiny"]
    whole = datagen.feature_table(size)
    picks = datagen.boundary_picks(size, size.feature_rows)
    path = tmp_path / "f.parquet"
    lines = []
    key, ts = datagen.write_features_streamed(size, path, picks=picks, log=lines.append,
                                              batch_rows=batch_rows)
    assert pq.read_table(path).equals(whole)
    assert key.equals(pc.take(whole["customer_id"], picks).combine_chunks())
    assert ts.equals(pc.take(whole["event_ts"], picks).combine_chunks().cast(pa.int64()))
    assert lines and lines[-1].startswith(f"features: {size.feature_rows:,} / ")
    assert not list(tmp_path.glob("*.tmp"))


def test_streamed_size_generates_the_same_data_on_disk_only(tmp_path):
    tiny = datagen.SIZES["tiny"]
    streamed = datagen.Size("tiny", tiny.feature_rows, tiny.entities, tiny.entity_rows,
                            streamed=True)
    lines = []
    a = datagen.generate(streamed, tmp_path / "a", log=lines.append)
    b = datagen.generate(tiny, tmp_path / "b", log=lambda m: None)
    assert sorted(a) == ["features", "spine", "window_spine"]
    assert not (tmp_path / "a" / "tiny" / "features.csv").exists()
    for name in a:
        assert pq.read_table(a[name]).equals(pq.read_table(b[name])), name
    assert any("streamed to disk" in m for m in lines)
    lines.clear()
    mtime = a["features"].stat().st_mtime_ns
    assert datagen.generate(streamed, tmp_path / "a", log=lines.append) == a    # reused
    assert lines == [] and a["features"].stat().st_mtime_ns == mtime


def test_rng_streams_start_anywhere():
    rng = datagen.Rng(3)
    whole = rng.integers("x", 50, 0, 1000)
    assert rng.integers("x", 20, 0, 1000, start=30).equals(whole.slice(30))
    assert rng.uniform("y", 5, start=10).equals(rng.uniform("y", 15).slice(10))


def test_generator_has_the_promised_ties_and_nulls():
    st = datagen.stats(datagen.feature_table("tiny", ties="all"))
    assert st["created_breaks_tie_groups"] > 20      # same (key, event_ts), other created_ts
    assert st["full_tie_groups"] > 10                # same (key, event_ts, created_ts)
    for c in ("f1", "f2", "f3", "f5"):
        assert st["nulls"][c] > 0, c
    assert st["nulls"]["f4"] == 0
    created = datagen.stats(datagen.feature_table("tiny", ties="created"))
    assert created["full_tie_groups"] == 0 and created["created_breaks_tie_groups"] > 20
    none = datagen.stats(datagen.feature_table("tiny", ties="none"))
    assert none["event_ts_tie_groups"] == 0


def test_created_ts_tie_sometimes_goes_against_file_order():
    t = datagen.feature_table("tiny", ties="all")
    rows = list(zip(t["customer_id"].to_pylist(), t["event_ts"].to_pylist(),
                    t["created_ts"].to_pylist()))
    earlier_created_later_row = sum(
        1 for i in range(1, len(rows))
        if rows[i][:2] == rows[i - 1][:2] and rows[i][2] < rows[i - 1][2])
    assert earlier_created_later_row > 5


def test_spine_has_unknown_keys_early_times_and_boundaries():
    t = datagen.feature_table("tiny")
    s = datagen.spine_table("tiny", t)
    keys = set(t["customer_id"].to_pylist())
    assert any(k not in keys for k in s["customer_id"].to_pylist())
    first = pc.min(t["event_ts"]).as_py()
    assert pc.sum(pc.less(s["event_timestamp"], first)).as_py() > 0
    events = set(zip(t["customer_id"].to_pylist(), t["event_ts"].cast(pa.int64()).to_pylist()))
    st = list(zip(s["customer_id"].to_pylist(), s["event_timestamp"].cast(pa.int64()).to_pylist()))
    assert sum((k, ts) in events for k, ts in st) > 20                          # t == event_ts
    assert sum((k, ts - datagen.TTL_US) in events for k, ts in st) > 20         # t - ttl == event_ts
    u = datagen.spine_table("tiny", t, unique=True)
    pairs = list(zip(u["customer_id"].to_pylist(), u["event_timestamp"].to_pylist()))
    assert len(pairs) == len(set(pairs)) and u["row_id"].to_pylist() == list(range(u.num_rows))


# ------------------------------------------------------------------ gate

def _table(f1, f4, f5, ids=None):
    ids = ids or list(range(len(f1)))
    return pa.table({"row_id": pa.array(ids, pa.int64()), "f1": pa.array(f1, pa.float64()),
                     "f4": pa.array(f4, pa.int64()), "f5": pa.array(f5, pa.string())})


BASE = ([1.5, None, -2.25, 1e6], [1, 2, None, 4], ["a", None, "c", "d"])
COLS = ["f1", "f4", "f5"]


def test_gate_passes_on_equal_tables_in_any_order():
    a = _table(*BASE)
    b = a.take([3, 1, 0, 2])
    r = gate.compare(a, b, COLS)
    assert r.ok, r.message
    assert r.rows == 4


def test_gate_fails_on_one_differing_value():
    f4 = list(BASE[1])
    f4[3] = 5
    r = gate.compare(_table(*BASE), _table(BASE[0], f4, BASE[2]), COLS)
    assert not r.ok and r.mismatched_rows == 1
    assert "row_id=3" in r.message and "f4" in r.message
    s = list(BASE[2])
    s[0] = "b"
    assert not gate.compare(_table(*BASE), _table(BASE[0], BASE[1], s), COLS).ok


def test_gate_fails_on_differing_null():
    f1 = list(BASE[0])
    f1[0] = None
    r = gate.compare(_table(*BASE), _table(f1, BASE[1], BASE[2]), COLS)
    assert not r.ok and "row_id=0" in r.message and "null" in r.message
    f5 = list(BASE[2])
    f5[1] = "x"                                         # null vs a value, the other way round
    assert not gate.compare(_table(*BASE), _table(BASE[0], BASE[1], f5), COLS).ok


def test_gate_float_tolerance():
    near = [1.5 * (1 + 1e-12), None, -2.25, 1e6 + 1e-5]
    assert gate.compare(_table(*BASE), _table(near, *BASE[1:]), COLS).ok
    far = [1.5 * (1 + 1e-6), None, -2.25, 1e6]
    r = gate.compare(_table(*BASE), _table(far, *BASE[1:]), COLS)
    assert not r.ok and r.mismatched_rows == 1


def test_gate_fails_on_missing_or_extra_rows():
    a = _table(*BASE)
    assert not gate.compare(a, a.slice(0, 3), COLS).ok
    dup = pa.concat_tables([a, a.slice(0, 1)])
    assert not gate.compare(a, dup, COLS).ok


def test_gate_require_raises():
    f4 = list(BASE[1])
    f4[0] = 9
    with pytest.raises(gate.GateError, match="row_id=0"):
        gate.require(gate.compare(_table(*BASE), _table(BASE[0], f4, BASE[2]), COLS))


def test_gate_allowing_dropped_rows_only_when_all_null():
    expected = _table([1.0, None, 3.0], [1, None, 3], ["a", None, "c"])
    actual = expected.filter(pa.array([True, False, True]))
    r = gate.compare_allowing_dropped(expected, actual, COLS)
    assert r.ok and r.dropped == 1
    actual = expected.filter(pa.array([False, True, True]))        # drops a row with values
    assert not gate.compare_allowing_dropped(expected, actual, COLS).ok


# ------------------------------------------------------------------ reference

def _ts(sec):
    return datagen.BASE_US + sec * datagen.US


def _features(rows):
    """rows: (key, event_s, created_s, f4) -> a feature table (f4 identifies the row)."""
    return pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "f1": pa.array([float(r[3]) for r in rows], pa.float64()),
        "f2": pa.array([None] * len(rows), pa.float64()),
        "f3": pa.array([0.5] * len(rows), pa.float64()),
        "f4": pa.array([r[3] for r in rows], pa.int64()),
        "f5": pa.array([str(r[3]) for r in rows], pa.string()),
        "event_ts": pa.array([_ts(r[1]) for r in rows]).cast(pa.timestamp("us", tz="UTC")),
        "created_ts": pa.array([_ts(r[2]) for r in rows]).cast(pa.timestamp("us", tz="UTC")),
    })


def _spine(rows):
    return pa.table({
        "row_id": pa.array(range(len(rows)), pa.int64()),
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "event_timestamp": pa.array([_ts(r[1]) for r in rows]).cast(pa.timestamp("us", tz="UTC")),
    })


def test_reference_follows_design_section_3():
    ttl_s = datagen.TTL_US // datagen.US
    feats = _features([
        (1, 100, 100, 10),
        (1, 200, 300, 20),      # same event time as the next two; created_ts decides...
        (1, 200, 250, 21),
        (1, 200, 300, 22),      # ...and between equal created_ts the later row wins
        (2, 100, 100, 30),
    ])
    spine = _spine([
        (1, 150),               # -> 10
        (1, 200),               # event_ts == t is eligible -> 22
        (1, 99),                # before any data -> null
        (1, 200 + ttl_s),       # t - ttl == event_ts is eligible -> 22
        (1, 201 + ttl_s),       # one second past the ttl -> null
        (3, 500),               # unknown key -> null
        (2, 100),               # -> 30
        (1, 150),               # a repeated entity row -> its own output row
    ])
    out = reference.pit_reference(feats, spine)
    assert out["f4"].to_pylist() == [10, 22, None, 22, None, None, 30, 10]
    assert out["f5"].to_pylist() == ["10", "22", None, "22", None, None, "30", "10"]
    assert out["row_id"].to_pylist() == list(range(8))
    unbounded = reference.pit_reference(feats, spine, ttl_us=0)
    assert unbounded["f4"].to_pylist()[4] == 22


def test_tie_rules_decide_lookups_in_the_tiny_data():
    """The ties in the generated data change answers: a join that ignores created_ts or
    ingestion order would fail the gate."""
    t = datagen.feature_table("tiny")
    s = datagen.spine_table("tiny", t)
    right = reference.pit_reference(t, s)
    n = t.num_rows
    # Reversed file order: only the ingestion-order rule is inverted.
    rev = t.take(pa.array(range(n - 1, -1, -1)))
    assert not gate.compare(right, reference.pit_reference(rev, s), datagen.FEATURES).ok
    # Without created_ts (file order decides every tie).
    no_created = reference.pit_reference(t, s, created=None)
    assert not gate.compare(right, no_created, datagen.FEATURES).ok


def test_duckdb_sql_agrees_with_reference(tmp_path):
    pytest.importorskip("duckdb")
    import workloads
    paths = datagen.generate("tiny", tmp_path, log=lambda m: None)
    feats, spine = pq.read_table(paths["features"]), pq.read_table(paths["spine"])
    con = workloads.duckdb_connect()
    got = workloads.duckdb_pit(con, paths["features"], paths["spine"])
    gate.require(gate.compare(reference.pit_reference(feats, spine), got, datagen.FEATURES))


def test_reference_agrees_with_cli(tmp_path):
    if not os.access(fst.BIN, os.X_OK):
        pytest.skip(f"no featherstone binary at {fst.BIN}")
    import workloads
    paths = datagen.generate("tiny", tmp_path / "data", log=lambda m: None)
    cli = workloads.Featherstone(fst.BIN)
    repo = cli.make_repo(tmp_path / "repo", "parquet")
    cli.ingest(repo, paths["features"])
    out = pq.read_table(cli.historical(repo, paths["spine"], tmp_path / "out.parquet"))
    feats, spine = pq.read_table(paths["features"]), pq.read_table(paths["spine"])
    assert out["row_id"].to_pylist() == spine["row_id"].to_pylist()
    gate.require(gate.compare(reference.pit_reference(feats, spine), out, datagen.FEATURES,
                              names=("reference", "featherstone")))


# ------------------------------------------------------------------ workload 2: windows

def test_window_spine_sits_on_every_window_boundary():
    t = datagen.feature_table("tiny")
    s = datagen.window_spine_table("tiny", t)
    assert s.column_names == ["row_id", "customer_id", "event_timestamp"]
    assert s.num_rows == datagen.SIZES["tiny"].entity_rows
    events = set(zip(t["customer_id"].to_pylist(), t["event_ts"].cast(pa.int64()).to_pylist()))
    st = list(zip(s["customer_id"].to_pylist(), s["event_timestamp"].cast(pa.int64()).to_pylist()))
    for w in datagen.WINDOWS.values():
        assert sum((k, ts - w) in events for k, ts in st) > 10, w            # t - w == event_ts
        assert sum((k, ts - w + datagen.US) in events for k, ts in st) > 10, w
    assert sum((k, ts) in events for k, ts in st) > 10                         # t == event_ts


def test_window_reference_follows_design_section_3():
    day = datagen.DAY_US // datagen.US
    feats = _features([
        (1, 0, 0, 10),
        (1, day, day, 20),
        (1, day, day, 5),           # same event time: both in the window
        (2, 0, 0, 7),
    ])
    feats = feats.set_column(1, "f1", pa.array([10.0, 20.0, None, 7.0], pa.float64()))
    spine = _spine([
        (1, day),                   # 1d window (0, day]: the row at 0 is out, the null skipped
        (1, day - 1),               # 1d: only the row at 0; the rows at `day` not yet in
        (1, -1),                    # before any data: count 0, sum and avg null
        (3, day),                   # unknown key
        (1, 8 * day),               # 7d window (day, 8 day]: the rows at `day` just out
        (1, 8 * day - 1),
    ])
    out = reference.window_reference(feats, spine)
    assert out["amount_count_1d"].to_pylist() == [1, 1, 0, 0, 0, 0]
    assert out["amount_sum_1d"].to_pylist() == [20.0, 10.0, None, None, None, None]
    assert out["amount_avg_30d"].to_pylist() == [15.0, 10.0, None, None, 15.0, 15.0]
    assert out["amount_count_7d"].to_pylist() == [2, 1, 0, 0, 0, 1]
    assert out["amount_sum_7d"].to_pylist()[5] == 20.0


def test_window_boundaries_decide_values_in_the_tiny_data():
    """A window closed at t - w (or open at t) would fail the gate on the generated data."""
    t = datagen.feature_table("tiny")
    s = datagen.window_spine_table("tiny", t)
    right = reference.window_reference(t, s)
    closed = {k: w + 1 for k, w in datagen.WINDOWS.items()}
    assert not gate.compare(right, reference.window_reference(t, s, windows=closed),
                            datagen.AGG_FEATURES).ok
    shifted = s.set_column(2, "event_timestamp", pa.array(
        [v - 1 for v in s["event_timestamp"].cast(pa.int64()).to_pylist()]).cast(
        pa.timestamp("us", tz="UTC")))
    early = reference.window_reference(t, shifted)
    assert not gate.compare(right, early, datagen.AGG_FEATURES).ok


def test_duckdb_window_sql_agrees_with_reference(tmp_path):
    pytest.importorskip("duckdb")
    import workloads
    paths = datagen.generate("tiny", tmp_path, log=lambda m: None)
    feats, spine = pq.read_table(paths["features"]), pq.read_table(paths["window_spine"])
    got = workloads.duckdb_window(workloads.duckdb_connect(), paths["features"],
                                  paths["window_spine"])
    gate.require(gate.compare(reference.window_reference(feats, spine), got,
                              datagen.AGG_FEATURES, atol=1e-9))


def test_window_reference_agrees_with_cli(tmp_path):
    if not os.access(fst.BIN, os.X_OK):
        pytest.skip(f"no featherstone binary at {fst.BIN}")
    import workloads
    paths = datagen.generate("tiny", tmp_path / "data", log=lambda m: None)
    cli = workloads.Featherstone(fst.BIN)
    repo = cli.make_repo(tmp_path / "repo", "parquet")
    cli.ingest(repo, paths["features"])
    out = pq.read_table(cli.historical(repo, paths["window_spine"], tmp_path / "out.parquet",
                                       workloads.AGG_REFS))
    feats, spine = pq.read_table(paths["features"]), pq.read_table(paths["window_spine"])
    assert out["row_id"].to_pylist() == spine["row_id"].to_pylist()
    gate.require(gate.compare(reference.window_reference(feats, spine), out,
                              datagen.AGG_FEATURES, atol=1e-9, names=("reference", "featherstone")))


# ------------------------------------------------------------------ peak memory, growth

def test_peak_rss_of_a_child_and_of_this_process():
    import workloads
    peak = workloads.ChildPeak()
    p = workloads.run_process([sys.executable, "-c", "b = bytearray(300 << 20); print('ok')"],
                              dict(os.environ), peak)
    assert p.returncode == 0 and p.stdout.strip() == "ok"
    assert 300 <= peak.mib() < 600
    ballast = b"\1" * (800 << 20)   # this process's memory (touched) is not the child's
    peak.start()
    workloads.run_process([sys.executable, "-c", "pass"], dict(os.environ), peak)
    assert peak.mib() < 200
    del ballast
    peak.start()
    assert peak.mib() == 0
    p = workloads.run_process([sys.executable, "-c", "import sys; sys.exit(3)"],
                              dict(os.environ), peak)
    assert p.returncode == 3
    own = workloads.SelfPeak()
    m = workloads.measure(lambda: bytearray(200 << 20), 2, peak=own)
    assert len(m["peak_rss_mib_runs"]) == 2 and m["peak_rss_mib"] >= 200
    assert 0 < m["start_rss_mib"] < m["peak_rss_mib"]
    m = workloads.measure(lambda: None, 1, peak=own)
    assert m["peak_rss_mib"] < 200 + min(m["peak_rss_mib_runs"])


def test_growth_table_per_10x_data():
    import report

    def size(rows, median, rss):
        return {"dims": {"feature_rows": rows}, "workloads": {"pit": {"results": [
            {"system": "featherstone", "data": "main", "median": median, "min": median,
             "peak_rss_mib": rss}]}, "online": {"results": [
            {"system": "featherstone", "data": "main", "median": 0.1, "min": 0.1}]}}}
    sizes = [("S", size(10**6, 1.0, 100), "a"), ("M", size(10**7, 10.0, 100), "a"),
             ("L", size(10**9, 400.0, None), "b")]     # L: 100x M, no RSS recorded
    lines = report.growth(sizes)
    assert len(lines) == 3                                # header, rule, pit (online left out)
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[1:] == ["featherstone (main)", "S → M → L", "1.00 → 10.0 → 400",
                         "10.00, 6.32", "100 MiB → 100 MiB → –", "1.00, –"]
