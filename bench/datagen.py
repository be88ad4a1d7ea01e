"""Deterministic benchmark data: a feature table and an entity spine.

Imports only the standard library and pyarrow (the project venv has nothing else), so the
tests can run it. Randomness is a counter-based generator (splitmix64 evaluated with
pyarrow.compute over uint64 arrays): the same seed gives the same values on any machine and
the same bytes for a given pyarrow version, and 10M rows take seconds.

Feature table (one row per event, in ingestion order = file order):
  customer_id int64, f1 f2 f3 float64 (with nulls), f4 int64, f5 string (with nulls),
  event_ts timestamp[us, UTC], created_ts timestamp[us, UTC]
Ties, so that every tie rule of DESIGN section 3 decides some lookups:
  - "created" ties: a row repeats the previous row's (customer_id, event_ts) with another
    created_ts (sometimes earlier, so file order alone would pick the wrong row);
  - "full" ties: a row repeats the previous row's (customer_id, event_ts, created_ts): only
    ingestion order (the later row of the file) decides.
Every row is a function of the seed, its index and the row before it, so a size too large
for memory (`Size.streamed`, L) is generated batch by batch straight to Parquet with the same
values the whole-table functions give.
Entity spine: row_id int64 (the entity row index), customer_id int64, event_timestamp
timestamp[us, UTC]. Some keys have no data at all, some timestamps are before any data or
after it, and a share sits exactly on the boundaries (t = event_ts, t - ttl = event_ts,
one second past the ttl, one second before an event).
"""
import dataclasses
import datetime as dt
import os
import pathlib
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

US = 1_000_000
DAY_US = 86_400 * US
TTL_DAYS = 30
TTL_US = TTL_DAYS * DAY_US
BASE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
BASE_US = int(BASE.timestamp()) * US
SPAN_DAYS = 120
FEATURES = ["f1", "f2", "f3", "f4", "f5"]
# Workload 2: count, sum and avg of `amount` (column f1: float64, 5% null, negative values
# too) over each window, (t - w, t].
AMOUNT = "f1"
WINDOWS = {"1d": DAY_US, "7d": 7 * DAY_US, "30d": 30 * DAY_US}
AGG_FUNCTIONS = ["count", "sum", "avg"]
AGG_FEATURES = [f"amount_{fn}_{w}" for w in WINDOWS for fn in AGG_FUNCTIONS]
DEFAULT_SEED = 20251125

# Share of rows that repeat the previous row's key and event time (see the module doc).
CREATED_TIE_SHARE = 0.04
FULL_TIE_SHARE = 0.02
NULL_SHARE = {"f1": 0.05, "f2": 0.20, "f3": 0.01, "f5": 0.03}
UNKNOWN_KEY_SHARE = 0.05      # spine keys drawn from 5% more ids than have data
BOUNDARY_SHARE = 0.30         # spine rows placed on an event's boundaries


@dataclasses.dataclass(frozen=True)
class Size:
    """streamed: the feature table is written in batches (never whole in memory), and the
    CSV copy and the Feast variant are not made (bench/run.py runs workloads 1 to 4 on it)."""
    name: str
    feature_rows: int
    entities: int
    entity_rows: int
    streamed: bool = False


SIZES = {
    "tiny": Size("tiny", 3_000, 300, 2_000),
    "XS": Size("XS", 100_000, 10_000, 10_000),
    "S": Size("S", 1_000_000, 100_000, 100_000),
    "M": Size("M", 10_000_000, 1_000_000, 1_000_000),
    "L": Size("L", 100_000_000, 10_000_000, 10_000_000, streamed=True),
}
# Streamed generation: rows per batch (a multiple of write_parquet's row group, so the file's
# row groups are the same as a whole-table write's) and a progress line every PROGRESS_ROWS.
BATCH_ROWS = 1 << 22
PROGRESS_ROWS = 10_000_000

_U64 = pa.uint64()
_MASK64 = (1 << 64) - 1


def _splitmix64_int(x):
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _mix(z):
    """splitmix64's finalizer over a uint64 array (wrapping arithmetic)."""
    z = pc.add(z, pa.scalar(0x9E3779B97F4A7C15, _U64))
    z = pc.multiply(pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(30, _U64))),
                    pa.scalar(0xBF58476D1CE4E5B9, _U64))
    z = pc.multiply(pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(27, _U64))),
                    pa.scalar(0x94D049BB133111EB, _U64))
    return pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(31, _U64)))


def _arange(n, type_=_U64, start=0):
    """start, start + 1, ..., start + n - 1."""
    if n == 0:
        return pa.array([], type_)
    ones = pa.repeat(pa.scalar(1, type_), n)
    out = pc.subtract(pc.cumulative_sum(ones), pa.scalar(1, type_))
    return pc.add(out, pa.scalar(start, type_)) if start else out


class Rng:
    """Independent uint64 streams, one per name: stream(name, n, start)[i] =
    f(seed, name, start + i)."""

    def __init__(self, seed):
        self.seed = int(seed)

    def _key(self, name):
        h = _splitmix64_int(self.seed & _MASK64)
        for ch in name.encode():
            h = _splitmix64_int(h ^ ch)
        return h

    def bits(self, name, n, start=0):
        return _mix(pc.bit_wise_xor(_mix(_arange(n, start=start)),
                                    pa.scalar(self._key(name), _U64)))

    def uniform(self, name, n, start=0):
        """Floats in [0, 1) with 53 random bits."""
        top = pc.shift_right(self.bits(name, n, start), pa.scalar(11, _U64))
        return pc.multiply(pc.cast(top, pa.float64(), safe=False), 2.0 ** -53)

    def integers(self, name, n, lo, hi, start=0):
        """int64 in [lo, hi)."""
        u = self.uniform(name, n, start)
        off = pc.cast(pc.floor(pc.multiply(u, float(hi - lo))), pa.int64())
        return pc.add(off, pa.scalar(lo, pa.int64()))


def _shift_down(arr):
    """arr[i-1] at position i (position 0 keeps arr[0])."""
    if len(arr) == 0:
        return arr
    return pa.concat_arrays([arr.slice(0, 1), arr.slice(0, len(arr) - 1)])


def _first_of_runs(mask):
    """mask & not mask[i-1] and not at position 0: a copied row never copies a copied row."""
    prev = _shift_down(mask)
    out = pc.and_(mask, pc.invert(prev))
    if len(out):
        out = pa.concat_arrays([pa.array([False]), out.slice(1)])
    return out


def _with_nulls(values, null_mask):
    return pc.if_else(null_mask, pa.scalar(None, values.type), values)


def _to_ts(us_int64):
    return pc.cast(us_int64, pa.timestamp("us", tz="UTC"))


def feature_table(size, seed=DEFAULT_SEED, ties="all"):
    """The feature table for `size` (a Size or its name).

    ties: "all" (created and full ties), "created" (no full ties: every (key, event_ts,
    created_ts) is unique), "none" (every (key, event_ts) is unique, so created_ts never
    decides).
    """
    if isinstance(size, str):
        size = SIZES[size]
    if ties not in ("all", "created", "none"):
        raise ValueError(f"ties must be all, created or none, not {ties!r}")
    n = size.feature_rows
    table = _feature_rows(size, Rng(seed), 0, n, ties)
    if ties == "none":
        # Rows that repeat an earlier row's (key, event_ts) by chance (a handful) are dropped.
        idx = table.append_column("__i", _arange(n, pa.int64()))
        first = (idx.group_by(["customer_id", "event_ts"], use_threads=False)
                 .aggregate([("__i", "min")])["__i_min"])
        if len(first) < n:
            table = table.filter(pc.is_in(idx["__i"], value_set=first.combine_chunks()))
    return table


def _feature_rows(size, rng, start, stop, ties):
    """Rows [start, stop) of the feature table before feature_table's "none" filter. A row
    depends only on its index and the row before it (ties copy the previous row), so the
    streams are drawn from start - 1 and that row is dropped."""
    lo = max(start - 1, 0)
    n, k = stop - lo, size.entities
    key = rng.integers("key", n, 0, k, lo)
    span_s = SPAN_DAYS * 86_400
    event_us = pc.add(pc.multiply(rng.integers("event", n, 0, span_s, lo), US), BASE_US)
    delay_us = pc.multiply(rng.integers("delay", n, 3_600, 6 * 3_600, lo), US)
    created_us = pc.add(event_us, delay_us)

    u = rng.uniform("tie", n, lo)
    created_tie = pc.less(u, CREATED_TIE_SHARE)
    full_tie = pc.and_(pc.greater_equal(u, CREATED_TIE_SHARE),
                       pc.less(u, CREATED_TIE_SHARE + FULL_TIE_SHARE))
    if ties == "none":
        created_tie = pa.repeat(pa.scalar(False), n)
        full_tie = created_tie
    elif ties == "created":
        full_tie = pa.repeat(pa.scalar(False), n)
    # Position 0 never copies: the table's first row, or row start - 1, dropped below.
    copy = _first_of_runs(pc.or_(created_tie, full_tie))
    created_tie = pc.and_(copy, created_tie)
    full_tie = pc.and_(copy, full_tie)

    prev_key, prev_event, prev_created = (_shift_down(a) for a in (key, event_us, created_us))
    key = pc.if_else(copy, prev_key, key)
    event_us = pc.if_else(copy, prev_event, event_us)
    # A created tie moves created_ts by 1..3599 s either way from the copied row's.
    step = pc.multiply(rng.integers("cstep", n, 1, 3_600, lo), US)
    sign = pc.if_else(pc.less(rng.uniform("csign", n, lo), 0.5), -1, 1)
    created_us = pc.if_else(full_tie, prev_created,
                            pc.if_else(created_tie,
                                       pc.add(prev_created, pc.multiply(step, sign)),
                                       created_us))

    def nulls(name):
        return pc.less(rng.uniform("null_" + name, n, lo), NULL_SHARE[name])

    f1 = _with_nulls(pc.subtract(pc.multiply(rng.uniform("f1", n, lo), 1000.0), 500.0),
                     nulls("f1"))
    f2 = _with_nulls(pc.multiply(rng.uniform("f2", n, lo), 1.0e6), nulls("f2"))
    f3 = _with_nulls(pc.divide(rng.uniform("f3", n, lo), 7.0), nulls("f3"))
    f4 = rng.integers("f4", n, -1_000_000, 1_000_000, lo)
    vocab = pa.array([f"cat_{i:04d}" for i in range(1000)], pa.string())
    f5 = _with_nulls(pc.take(vocab, rng.integers("f5", n, 0, 1000, lo)), nulls("f5"))
    table = pa.table({
        "customer_id": key,
        "f1": f1, "f2": f2, "f3": f3, "f4": f4, "f5": f5,
        "event_ts": _to_ts(event_us),
        "created_ts": _to_ts(created_us),
    })
    return table.slice(start - lo)


def spine_table(size, features, seed=DEFAULT_SEED, unique=False, shifts=None):
    """Entity rows for `size`, some of them on the boundaries of rows of `features`: a
    feature row's key and event time plus one of `shifts` (µs; default the PIT boundaries
    0, ttl, ttl + 1 s and -1 s).

    unique=True drops rows that repeat an earlier (customer_id, event_timestamp) (Feast
    collapses such rows into one) and renumbers row_id.
    """
    if isinstance(size, str):
        size = SIZES[size]
    pick = boundary_picks(size, features.num_rows, seed)
    bkey = pc.take(features["customer_id"], pick).combine_chunks()
    bts = pc.cast(pc.take(features["event_ts"], pick).combine_chunks(), pa.int64())
    return _spine(size, bkey, bts, seed, unique, shifts)


def boundary_picks(size, feature_rows, seed=DEFAULT_SEED):
    """The indices of the feature rows (of `feature_rows`) whose key and event time the
    spine's boundary rows take, one per entity row (int64)."""
    return Rng(seed + 1).integers("pick", size.entity_rows, 0, feature_rows)


def _spine(size, bkey, bts, seed, unique=False, shifts=None):
    """spine_table from the key and event time (int64 µs) of the picked feature rows."""
    m, k = size.entity_rows, size.entities
    rng = Rng(seed + 1)
    key = rng.integers("key", m, 0, int(k * (1 + UNKNOWN_KEY_SHARE)) + 1)
    lo = BASE_US - 10 * DAY_US
    hi = BASE_US + (SPAN_DAYS + 10) * DAY_US
    ts = pc.add(pc.multiply(rng.integers("ts", m, 0, (hi - lo) // US), US), lo)

    # Boundary rows: the key and event time of a random feature row, shifted.
    shifts = pa.array(PIT_SHIFTS if shifts is None else shifts, pa.int64())
    bts = pc.add(bts, pc.take(shifts, rng.integers("shift", m, 0, len(shifts))))
    boundary = pc.less(rng.uniform("boundary", m), BOUNDARY_SHARE)
    key = pc.if_else(boundary, bkey, key)
    ts = pc.if_else(boundary, bts, ts)
    table = pa.table({
        "row_id": _arange(m, pa.int64()),
        "customer_id": key,
        "event_timestamp": _to_ts(ts),
    })
    if unique:
        first = (table.group_by(["customer_id", "event_timestamp"], use_threads=False)
                 .aggregate([("row_id", "min")])["row_id_min"])
        keep = pc.is_in(table["row_id"], value_set=first.combine_chunks())
        table = table.filter(keep)
        table = table.set_column(0, "row_id", _arange(table.num_rows, pa.int64()))
    return table


PIT_SHIFTS = [0, TTL_US, TTL_US + US, -US]
# Workload 2's boundaries: t = event_ts (inside every window), t - w = event_ts (just
# outside w), t - w = event_ts - 1 s (just inside w), t = event_ts - 1 s (not yet in).
WINDOW_SHIFTS = [0, -US] + [s for w in WINDOWS.values() for s in (w, w - US)]


def window_spine_table(size, features, seed=DEFAULT_SEED):
    """Entity rows for workload 2: like spine_table, with the window boundaries."""
    return spine_table(size, features, seed, shifts=WINDOW_SHIFTS)


def write_parquet(table, path):
    """Deterministic Parquet: fixed row groups, compression and no statistics surprises."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    pq.write_table(table, tmp, compression="snappy", row_group_size=1 << 20,
                   use_dictionary=True, write_statistics=True)
    os.replace(tmp, path)
    return path


def write_features_streamed(size, path, seed=DEFAULT_SEED, picks=None, log=print,
                            batch_rows=BATCH_ROWS):
    """Writes feature_table(size, seed) (ties "all") to `path` batch by batch, as
    write_parquet would (the same row groups when batch_rows is a multiple of them), holding
    one batch in memory, with a progress line every PROGRESS_ROWS rows. Returns the key and
    event time (int64 µs) of the rows at `picks` (int64 row indices), in picks' order, for
    the spine (_spine), or None without picks."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    n, rng, writer = size.feature_rows, Rng(seed), None
    found = []    # (positions in picks, keys, event times) per batch
    t0, next_log = time.monotonic(), PROGRESS_ROWS
    try:
        for start in range(0, n, batch_rows):
            stop = min(start + batch_rows, n)
            batch = _feature_rows(size, rng, start, stop, "all")
            if writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema, compression="snappy",
                                          use_dictionary=True, write_statistics=True)
            writer.write_table(batch, row_group_size=1 << 20)
            if picks is not None:
                inside = pc.and_(pc.greater_equal(picks, start), pc.less(picks, stop))
                local = pc.subtract(pc.filter(picks, inside), start)
                found.append((pc.indices_nonzero(inside),
                              pc.take(batch["customer_id"], local).combine_chunks(),
                              pc.cast(pc.take(batch["event_ts"], local).combine_chunks(),
                                      pa.int64())))
            if stop >= next_log or stop == n:
                log(f"features: {stop:,} / {n:,} rows ({time.monotonic() - t0:.0f} s)")
                next_log = (stop // PROGRESS_ROWS + 1) * PROGRESS_ROWS
        writer.close()
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    if picks is None:
        return None
    order = pc.sort_indices(pa.concat_arrays([f[0] for f in found]))
    return tuple(pc.take(pa.concat_arrays([f[i] for f in found]), order) for i in (1, 2))


def write_csv(table, path):
    """CSV with ISO-8601 UTC timestamps (`2025-01-01T00:00:00Z`) and empty fields for nulls."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {}
    for name in table.column_names:
        col = table[name]
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
        cols[name] = col
    tmp = path.with_suffix(path.suffix + ".tmp")
    pacsv.write_csv(pa.table(cols), tmp,
                    write_options=pacsv.WriteOptions(quoting_style="needed", batch_size=1 << 16))
    os.replace(tmp, path)
    return path


def generate(size, out_dir, seed=DEFAULT_SEED, csv=True, log=print):
    """Writes the data set of `size` under out_dir/<size> (skipping files already there with
    the same seed) and returns a dict of paths. A streamed size (L) gets only features.parquet
    and the two spines, the features written batch by batch (write_features_streamed).

    features.parquet / features.csv: the main feature table (all ties);
    spine.parquet: entity rows;
    window_spine.parquet: entity rows on the window boundaries (workload 2);
    feast_features.parquet / feast_spine.parquet: the variant on which Feast's semantics
    agree with DESIGN section 3 (see docs/benchmarks.md).
    """
    if isinstance(size, str):
        size = SIZES[size]
    d = pathlib.Path(out_dir) / size.name
    d.mkdir(parents=True, exist_ok=True)
    stamp = d / "SEED"
    paths = {
        "features": d / "features.parquet",
        "features_csv": d / "features.csv",
        "spine": d / "spine.parquet",
        "window_spine": d / "window_spine.parquet",
        "feast_features": d / "feast_features.parquet",
        "feast_spine": d / "feast_spine.parquet",
    }
    if size.streamed:
        paths = {k: paths[k] for k in ("features", "spine", "window_spine")}
    wanted = [p for k, p in paths.items()
              if (csv or k != "features_csv") and (k != "window_spine" or size.streamed)]
    if stamp.exists() and stamp.read_text().strip() == str(seed) and all(p.exists() for p in wanted):
        if not paths["window_spine"].exists():
            # Added after the others: made from the stored features, which the seed fixes.
            write_parquet(window_spine_table(size, pq.read_table(paths["features"]), seed),
                          paths["window_spine"])
        return paths
    stamp.unlink(missing_ok=True)
    log(f"generating {size.name}: {size.feature_rows:,} feature rows, "
        f"{size.entities:,} entities, {size.entity_rows:,} entity rows (seed {seed})"
        + (", streamed to disk, without the CSV and the Feast variant" if size.streamed else ""))
    if size.streamed:
        bkey, bts = write_features_streamed(
            size, paths["features"], seed, boundary_picks(size, size.feature_rows, seed), log)
        write_parquet(_spine(size, bkey, bts, seed), paths["spine"])
        write_parquet(_spine(size, bkey, bts, seed, shifts=WINDOW_SHIFTS), paths["window_spine"])
        stamp.write_text(f"{seed}\n")
        return paths
    features = feature_table(size, seed, ties="all")
    write_parquet(features, paths["features"])
    if csv:
        write_csv(features, paths["features_csv"])
    write_parquet(spine_table(size, features, seed), paths["spine"])
    write_parquet(window_spine_table(size, features, seed), paths["window_spine"])
    del features
    feast_features = feature_table(size, seed, ties=FEAST_TIES)
    write_parquet(feast_features, paths["feast_features"])
    write_parquet(spine_table(size, feast_features, seed, unique=True), paths["feast_spine"])
    stamp.write_text(f"{seed}\n")
    return paths


# The tie structure of the Feast variant: see docs/benchmarks.md, "Feast's semantics".
FEAST_TIES = "none"


def stats(features):
    """Counts of the promised properties (for tests and the report)."""
    key_ts = features.group_by(["customer_id", "event_ts"], use_threads=False).aggregate(
        [("created_ts", "count"), ("created_ts", "count_distinct")])
    full = features.group_by(["customer_id", "event_ts", "created_ts"], use_threads=False).aggregate(
        [("f4", "count")])
    return {
        "rows": features.num_rows,
        "keys": len(pc.unique(features["customer_id"])),
        "event_ts_tie_groups": pc.sum(pc.greater(key_ts["created_ts_count"], 1)).as_py() or 0,
        "created_breaks_tie_groups": pc.sum(pc.greater(key_ts["created_ts_count_distinct"], 1)).as_py() or 0,
        "full_tie_groups": pc.sum(pc.greater(full["f4_count"], 1)).as_py() or 0,
        "nulls": {c: features[c].null_count for c in FEATURES},
    }
