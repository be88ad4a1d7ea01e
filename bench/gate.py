"""The correctness gate: two result tables compared row by row before anything is timed.

Rows are matched on a key column (the entity row index `row_id`, or the join key for online
results); every compared column must agree: equal values, nulls only where the other side
has a null, floats within a relative+absolute tolerance. Imports only the standard library
and pyarrow.
"""
import dataclasses
import math

import pyarrow as pa
import pyarrow.compute as pc

RTOL = 1e-9
ATOL = 1e-12


class GateError(Exception):
    """Raised by require(): the message names the comparison and shows the differing rows."""


@dataclasses.dataclass
class GateResult:
    ok: bool
    what: str
    rows: int
    mismatched_rows: int = 0
    message: str = ""
    dropped: int = 0

    def __str__(self):
        if self.ok:
            extra = f" ({self.message})" if self.message else ""
            return f"gate ok: {self.what}: {self.rows - self.dropped:,} rows agree{extra}"
        return f"gate FAILED: {self.what}: {self.message}"


def _chunked(col):
    return col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])


def _normalize(col):
    """Comparable representation: floats stay floats, timestamps -> int64 µs, dictionary and
    large strings -> string."""
    col = _chunked(col)
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_large_string(t):
        col = col.cast(pa.string())
    elif pa.types.is_timestamp(t):
        col = col.cast(pa.timestamp("us", tz=t.tz)).cast(pa.int64())
    elif pa.types.is_date(t):
        col = col.cast(pa.int32())
    return col.combine_chunks()


def _mismatch_mask(a, b, rtol, atol):
    """Boolean array: True where a[i] and b[i] differ."""
    a, b = _normalize(a), _normalize(b)
    a_null, b_null = pc.is_null(a), pc.is_null(b)
    null_diff = pc.xor(a_null, b_null)
    both = pc.and_(pc.invert(a_null), pc.invert(b_null))
    floats = pa.types.is_floating(a.type) or pa.types.is_floating(b.type)
    if floats:
        a, b = a.cast(pa.float64()), b.cast(pa.float64())
        diff = pc.abs(pc.subtract(a, b))
        limit = pc.add(pc.multiply(pc.abs(b), rtol), atol)
        close = pc.or_(pc.less_equal(diff, limit), pc.and_(pc.is_nan(a), pc.is_nan(b)))
        value_diff = pc.invert(pc.fill_null(close, False))
    else:
        if a.type != b.type:
            try:
                b = b.cast(a.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                a, b = a.cast(pa.string()), b.cast(pa.string())
        value_diff = pc.fill_null(pc.not_equal(a, b), True)
    return pc.or_(null_diff, pc.and_(both, value_diff))


def _fmt(v):
    if isinstance(v, float) and not math.isnan(v):
        return repr(v)
    return "null" if v is None else str(v)


def compare(expected, actual, columns, key="row_id", what="", names=("expected", "actual"),
            rtol=RTOL, atol=ATOL, show=5):
    """Compares `columns` of two tables matched on `key`. Returns a GateResult.

    Both tables must hold the same set of keys, each once; row order does not matter.
    """
    what = what or f"{names[0]} vs {names[1]}"
    for name, t in zip(names, (expected, actual)):
        missing = [c for c in [key] + list(columns) if c not in t.column_names]
        if missing:
            return GateResult(False, what, t.num_rows,
                              message=f"{name} has no column(s) {missing}; it has {t.column_names}")
    e = expected.select([key] + list(columns)).sort_by(key)
    a = actual.select([key] + list(columns)).sort_by(key)
    for name, t in zip(names, (e, a)):
        if len(pc.unique(t[key])) != t.num_rows:
            return GateResult(False, what, t.num_rows,
                              message=f"{name}: {key} is not unique ({t.num_rows} rows)")
    if e.num_rows != a.num_rows or not pc.all(pc.equal(_normalize(e[key]),
                                                      _normalize(a[key]))).as_py():
        ek, ak = set(e[key].to_pylist()), set(a[key].to_pylist())
        only_e, only_a = sorted(ek - ak)[:show], sorted(ak - ek)[:show]
        return GateResult(False, what, e.num_rows, mismatched_rows=len(ek ^ ak),
                          message=(f"row sets differ: {names[0]} has {e.num_rows:,} rows, "
                                   f"{names[1]} {a.num_rows:,}; {key} only in {names[0]}: "
                                   f"{only_e}, only in {names[1]}: {only_a}"))
    mask = None
    per_column = {}
    for c in columns:
        m = _mismatch_mask(e[c], a[c], rtol, atol)
        per_column[c] = pc.sum(m).as_py() or 0
        mask = m if mask is None else pc.or_(mask, m)
    if mask is None:
        return GateResult(True, what, e.num_rows)
    bad = pc.indices_nonzero(mask)
    if len(bad) == 0:
        return GateResult(True, what, e.num_rows)
    lines = [f"{len(bad):,} of {e.num_rows:,} rows differ (per column: "
             + ", ".join(f"{c}={n}" for c, n in per_column.items() if n) + "); first rows:"]
    for i in bad.slice(0, show).to_pylist():
        ek = e[key][i].as_py()
        diffs = []
        for c in columns:
            ev, av = e[c][i].as_py(), a[c][i].as_py()
            if _mismatch_mask(e[c].slice(i, 1), a[c].slice(i, 1), rtol, atol)[0].as_py():
                diffs.append(f"{c}: {names[0]}={_fmt(ev)} {names[1]}={_fmt(av)}")
        lines.append(f"  {key}={ek}: " + "; ".join(diffs))
    return GateResult(False, what, e.num_rows, mismatched_rows=len(bad), message="\n".join(lines))


def require(result):
    """Raises GateError unless result.ok."""
    if not result.ok:
        raise GateError(str(result))
    return result


def compare_allowing_dropped(expected, actual, columns, key="row_id", what="",
                             names=("expected", "actual"), rtol=RTOL, atol=ATOL, show=5):
    """Like compare(), for a system that drops some rows instead of returning nulls (Feast's
    file offline store drops an entity row when its key has rows but none is eligible).

    Every row of `expected` missing from `actual` must have a null in every one of `columns`
    (else the gate fails); `actual` may not hold keys that `expected` lacks; the rows both
    hold must agree. The result's message says how many rows were dropped.
    """
    what = what or f"{names[0]} vs {names[1]}"
    present = pc.is_in(expected[key], value_set=pc.unique(actual[key]))
    dropped = expected.filter(pc.invert(present))
    for c in columns:
        if dropped[c].null_count != dropped.num_rows:
            bad = dropped.filter(pc.is_valid(dropped[c])).slice(0, show)
            rows = "\n".join(f"  {key}={r[key]}: {names[0]} has {c}={_fmt(r[c])}"
                             for r in bad.to_pylist())
            return GateResult(False, what, expected.num_rows,
                              mismatched_rows=dropped.num_rows,
                              message=(f"{names[1]} lacks {dropped.num_rows:,} rows, and some of "
                                       f"them have values in {names[0]}:\n{rows}"))
    result = compare(expected.filter(present), actual, columns, key=key, what=what,
                     names=names, rtol=rtol, atol=atol, show=show)
    result.rows = expected.num_rows
    result.dropped = dropped.num_rows
    if result.ok:
        result.message = (f"{dropped.num_rows:,} rows without an eligible feature row are "
                          f"absent from {names[1]} (null in {names[0]})")
    return result
