"""A brute-force point-in-time join and windowed aggregations in plain Python: DESIGN
section 3, read literally.

Slow (a Python loop over every candidate row) and obviously right; used on tiny data to
validate the DuckDB SQL and the other systems. Imports only the standard library and pyarrow.
"""
import math

import pyarrow as pa

from datagen import AMOUNT, FEATURES, TTL_US, WINDOWS


def pit_reference(features, spine, ttl_us=TTL_US, key="customer_id", ts="event_ts",
                  created="created_ts", entity_ts="event_timestamp", columns=FEATURES):
    """One output row per spine row, in spine order: the spine's columns and `columns`.

    Eligible rows: same key, event_ts <= t and (ttl_us == 0 or event_ts >= t - ttl_us).
    Winner: latest event_ts, then latest created_ts, then the row that comes later in
    `features` (ingestion order). No eligible row: every feature is null.
    """
    keys = features[key].to_pylist()
    ev = features[ts].cast(pa.int64()).to_pylist()
    cr = features[created].cast(pa.int64()).to_pylist() if created else [0] * len(keys)
    vals = [features[c].to_pylist() for c in columns]
    by_key = {}
    for i, k in enumerate(keys):
        by_key.setdefault(k, []).append(i)
    s_keys = spine[key].to_pylist()
    s_ts = spine[entity_ts].cast(pa.int64()).to_pylist()
    out = [[] for _ in columns]
    for k, t in zip(s_keys, s_ts):
        best = None
        for i in by_key.get(k, ()):
            if ev[i] > t or (ttl_us and ev[i] < t - ttl_us):
                continue
            rank = (ev[i], cr[i], i)
            if best is None or rank > best[0]:
                best = (rank, i)
        for c in range(len(columns)):
            out[c].append(None if best is None else vals[c][best[1]])
    result = spine
    for c, name in enumerate(columns):
        result = result.append_column(name, pa.array(out[c], features[name].type))
    return result


def latest_reference(features, keys, start_us, end_us, key="customer_id", ts="event_ts",
                     created="created_ts", columns=FEATURES):
    """What materialization over [start, end] must leave online for each of `keys`: the
    winner (same ranking as pit_reference) among rows with start <= event_ts <= end."""
    spine = pa.table({key: pa.array(keys, pa.int64()),
                      "event_timestamp": pa.array([end_us] * len(keys), pa.int64())
                      .cast(pa.timestamp("us", tz="UTC"))})
    return pit_reference(features, spine, ttl_us=end_us - start_us, key=key, ts=ts,
                         created=created, columns=columns)


def window_reference(features, spine, windows=WINDOWS, column=AMOUNT, key="customer_id",
                     ts="event_ts", entity_ts="event_timestamp"):
    """Workload 2: per spine row (in spine order) and window w in `windows` (name -> µs),
    amount_count_<w>, amount_sum_<w>, amount_avg_<w> over the rows of the same key with
    t - w < event_ts <= t. Nulls are skipped; an empty window gives count 0, sum and avg null.
    """
    keys = features[key].to_pylist()
    ev = features[ts].cast(pa.int64()).to_pylist()
    vals = features[column].to_pylist()
    by_key = {}
    for i, k in enumerate(keys):
        by_key.setdefault(k, []).append(i)
    s_keys = spine[key].to_pylist()
    s_ts = spine[entity_ts].cast(pa.int64()).to_pylist()
    result = spine
    for name, w in windows.items():
        counts, sums, avgs = [], [], []
        for k, t in zip(s_keys, s_ts):
            xs = [vals[i] for i in by_key.get(k, ())
                  if t - w < ev[i] <= t and vals[i] is not None]
            counts.append(len(xs))
            sums.append(math.fsum(xs) if xs else None)
            avgs.append(math.fsum(xs) / len(xs) if xs else None)
        result = result.append_column(f"amount_count_{name}", pa.array(counts, pa.int64()))
        result = result.append_column(f"amount_sum_{name}", pa.array(sums, pa.float64()))
        result = result.append_column(f"amount_avg_{name}", pa.array(avgs, pa.float64()))
    return result
