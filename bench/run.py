#!/usr/bin/env python3
"""Featherstone benchmarks: Featherstone against DuckDB and Feast on the same files.

    bench/run.py [--sizes S,M] [--repeat 3] [--feast-sizes S]
                 [--workloads pit,window,materialize,online,ingest]
    bench/run.py --sizes S,M,L --workloads pit,window,materialize   # L: 100M rows on disk

Steps: validate the DuckDB SQL and Featherstone against a brute-force reference on tiny data
(and probe Feast's semantics there); then, per size: generate the data (bench/data/, reused
when present), run every system once and compare the outputs row by row (the correctness
gate), and only then time each system (one warm-up run discarded, --repeat timed runs),
recording each timed run's peak resident memory. A streamed size (L) has no CSV and no Feast
variant: ingest and Feast are not run there, and materialize and online use the main data.
Writes bench/results/<date>-<host>.json, docs/benchmarks.md and docs/benchmarks.png.
Exit status 1 when a gate failed or a system errored (the docs are then left alone).
"""
import argparse
import dataclasses
import hashlib
import datetime as dt
import json
import os
import pathlib
import platform
import shutil
import socket
import subprocess
import sys
import time
import traceback

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import datagen  # noqa: E402
import gate  # noqa: E402
import reference  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402
from datagen import AGG_FEATURES  # noqa: E402
from workloads import AGG_REFS, FEATURES, THREADS  # noqa: E402

ONLINE_BATCH = 1000
# Workload 2's sums and averages come from different summation orders in each system (and
# exact fsum in the reference); amounts are in [-500, 500), so a window sum that cancels to
# near zero can differ by ~1e-13 absolute, beyond a purely relative tolerance.
WINDOW_ATOL = 1e-9
MAT_END = datagen.BASE + dt.timedelta(days=100)
MAT_START = MAT_END - dt.timedelta(days=datagen.TTL_DAYS)
# DuckDB's second formulation of workloads 1 and 2: the same SQL over tables loaded into the
# session beforehand (untimed), as a user who keeps a DuckDB session open has the data.
DUCK_MEM = "duckdb (in-memory)"
DUCK_MEM_NOTE = ("the same SQL over tables loaded into the DuckDB session before timing "
                 "(loading untimed); the result written to Parquet as the other systems do")
# The workloads a streamed size runs: ingest needs the CSV copy, which is not made there.
STREAMED_WORKLOADS = ("pit", "window", "materialize", "online")
# DuckDB and Feast run in this process: their peak RSS is this process's (SelfPeak).
SELF_PEAK = workloads.SelfPeak()


def iso(d):
    return d.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg=""):
    print(msg, flush=True)


class Run:
    """Collects results, gate outcomes and errors; decides the exit status."""

    def __init__(self, args):
        self.args = args
        self.failed = []
        self.results = {}

    def gate(self, result, bucket):
        log("  " + str(result).replace("\n", "\n  "))
        bucket.setdefault("gates", []).append({
            "what": result.what, "ok": result.ok, "rows": result.rows,
            "mismatched_rows": result.mismatched_rows, "dropped_rows": result.dropped,
            "message": result.message})
        if not result.ok:
            self.failed.append(str(result))
        return result.ok

    def error(self, where, exc, bucket):
        text = f"{where}: {type(exc).__name__}: {exc}"
        log("  ERROR " + text)
        if not isinstance(exc, (workloads.CliError, gate.GateError)):
            traceback.print_exc()
        bucket.setdefault("errors", []).append(text)
        self.failed.append(text)


def machine_info(fst_bin):
    info = {"hostname": socket.gethostname(), "platform": platform.platform(),
            "python": platform.python_version(), "logical_cpus": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "Socket(s)", "Core(s) per socket",
                             "Thread(s) per core", "CPU(s)", "L3 cache", "Architecture"):
                info["lscpu_" + k.strip().lower().replace(" ", "_").replace("(s)", "s")] = v.strip()
    except OSError:
        pass
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {"pyarrow": pa.__version__}
    for mod in ("duckdb", "feast", "pandas", "numpy", "dask", "matplotlib"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing anchor is reported, not fatal here
            versions[mod] = None
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src",
                                "include", "CMakeLists.txt"],
                               capture_output=True, text=True).stdout.strip()
        versions["featherstone"] = commit + ("+uncommitted" if dirty else "")
    except OSError:
        pass
    try:
        cache = (pathlib.Path(fst_bin).parent / "CMakeCache.txt").read_text()
        for line in cache.splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                versions["featherstone_build_type"] = line.split("=", 1)[1]
            if line.startswith("CMAKE_CXX_COMPILER:"):
                cxx = line.split("=", 1)[1]
                versions["cxx"] = subprocess.run([cxx, "--version"], capture_output=True,
                                                 text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    return info, versions


def online_keys(size, seed):
    """ONLINE_BATCH distinct customer ids (about 5% without any data), in a fixed order."""
    s = datagen.SIZES[size]
    cand = datagen.Rng(seed + 2).integers("online", ONLINE_BATCH * 3, 0,
                                          int(s.entities * 1.05) + 1).to_pylist()
    keys, seen = [], set()
    for k in cand:
        if k not in seen:
            seen.add(k)
            keys.append(k)
        if len(keys) == min(ONLINE_BATCH, s.entities):
            break
    return keys


def write_online_spine(keys, path):
    t = pa.table({"row_id": pa.array(range(len(keys)), pa.int64()),
                  "customer_id": pa.array(keys, pa.int64()),
                  "event_timestamp": pa.array([int(MAT_END.timestamp()) * 1_000_000] * len(keys),
                                              pa.int64()).cast(pa.timestamp("us", tz="UTC"))})
    datagen.write_parquet(t, path)
    return path


def check_input_order(out, spine, what="featherstone historical"):
    """Featherstone must return one row per entity row, in input order."""
    ok = out.num_rows == spine.num_rows and out["row_id"].equals(spine["row_id"])
    return gate.GateResult(ok, f"{what}: one row per entity row, input order",
                           out.num_rows, message="" if ok else
                           f"{out.num_rows:,} rows for {spine.num_rows:,} entity rows, or reordered")


def sort_all(table):
    keys = ["customer_id", "event_ts", "created_ts", "f4", "f1", "f2", "f3", "f5"]
    t = table.select(keys)
    for name in ("event_ts", "created_ts"):
        i = t.column_names.index(name)
        t = t.set_column(i, name, t[name].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()))
    t = t.sort_by([(k, "ascending", "at_end") for k in keys])
    return t.append_column("i", pa.array(range(t.num_rows), pa.int64()))


# ------------------------------------------------------------------ validation on tiny data

def validate_tiny(run, fst, sdk, con, data_dir, seed, systems):
    """The DuckDB SQL and Featherstone against the brute-force reference, and a probe of
    Feast's semantics on the three tie variants."""
    log("==> validation on tiny data (brute-force reference)")
    out = {}
    paths = datagen.generate("tiny", data_dir, seed)
    work = data_dir / "work" / "tiny"
    work.mkdir(parents=True, exist_ok=True)
    feats = pq.read_table(paths["features"])
    spine = pq.read_table(paths["spine"])
    ref = reference.pit_reference(feats, spine)
    out["data"] = datagen.stats(feats)
    out["reference_null_rows"] = ref["f4"].null_count
    wspine = pq.read_table(paths["window_spine"])
    wref = reference.window_reference(feats, wspine)
    if "duckdb" in systems:
        duck = workloads.duckdb_pit(con, paths["features"], paths["spine"])
        run.gate(gate.compare(ref, duck, FEATURES, what="tiny PIT: reference vs duckdb SQL",
                              names=("reference", "duckdb")), out)
        if "window" in run.args.workloads:
            duck = workloads.duckdb_window(con, paths["features"], paths["window_spine"])
            run.gate(gate.compare(wref, duck, AGG_FEATURES, atol=WINDOW_ATOL,
                                  what="tiny windows: reference vs duckdb SQL",
                                  names=("reference", "duckdb")), out)
    if "featherstone" in systems:
        try:
            repo = fst.make_repo(work / "fst", "parquet")
            fst.ingest(repo, paths["features"])
            res = pq.read_table(fst.historical(repo, paths["spine"], work / "fst_pit.parquet"))
            run.gate(check_input_order(res, spine), out)
            run.gate(gate.compare(ref, res, FEATURES, what="tiny PIT: reference vs featherstone",
                                  names=("reference", "featherstone")), out)
            if "window" in run.args.workloads:
                res = pq.read_table(fst.historical(repo, paths["window_spine"],
                                                   work / "fst_window.parquet", AGG_REFS))
                run.gate(check_input_order(res, wspine, "featherstone historical (windows)"), out)
                run.gate(gate.compare(wref, res, AGG_FEATURES, atol=WINDOW_ATOL,
                                      what="tiny windows: reference vs featherstone",
                                      names=("reference", "featherstone")), out)
            if "featherstone-python" in systems:
                res = pq.read_table(sdk.historical(repo, paths["spine"], work / "sdk_pit.parquet"))
                run.gate(check_input_order(res, spine, "featherstone (python) historical"), out)
                run.gate(gate.compare(ref, res, FEATURES,
                                      what="tiny PIT: reference vs featherstone (python)",
                                      names=("reference", "featherstone (python)")), out)
            keys = online_keys("tiny", seed)
            fst.materialize(repo, iso(MAT_START), iso(MAT_END))
            got = fst.online_table(fst.online(repo, keys, iso(MAT_END)))
            exp = reference.latest_reference(feats, keys, int(MAT_START.timestamp()) * 10**6,
                                             int(MAT_END.timestamp()) * 10**6)
            run.gate(gate.compare(exp, got, FEATURES, key="customer_id",
                                  what="tiny materialize+online: reference vs featherstone",
                                  names=("reference", "featherstone")), out)
        except Exception as e:  # noqa: BLE001
            run.error("tiny featherstone", e, out)
    if "feast" in systems:
        probe = {}
        for ties in ("all", "created", "none"):
            try:
                f = datagen.feature_table("tiny", seed, ties=ties)
                s = datagen.spine_table("tiny", f, seed, unique=True)
                fp = datagen.write_parquet(f, work / f"feast_{ties}.parquet")
                sp = datagen.write_parquet(s, work / f"feast_{ties}_spine.parquet")
                fe = workloads.Feast(work / f"feast_{ties}", fp)
                got = fe.historical(sp)
                r = reference.pit_reference(f, s)
                res = gate.compare_allowing_dropped(r, got, FEATURES, what=f"feast ties={ties}",
                                                    names=("reference", "feast"))
                probe[ties] = {"entity_rows": s.num_rows, "returned_rows": got.num_rows,
                               "dropped_rows": res.dropped, "ok": res.ok,
                               "differing_rows": res.mismatched_rows,
                               "tie_groups": datagen.stats(f)}
                log(f"  feast probe ties={ties}: {s.num_rows} entity rows, {got.num_rows} "
                    f"returned, {res.mismatched_rows} differ"
                    + ("" if res.ok else " (expected for this variant)" if ties != datagen.FEAST_TIES
                       else ""))
                if ties == datagen.FEAST_TIES:
                    run.gate(res, out)
            except Exception as e:  # noqa: BLE001
                run.error(f"feast probe ties={ties}", e, out)
        out["feast_probe"] = probe
    return out


# ------------------------------------------------------------------ one size

def drop_mem_tables(con):
    """Frees the in-memory formulation's tables (workloads.duckdb_load)."""
    if con is None:
        return
    for name in ("mem_features", "mem_spine", "mem_window_spine"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def timed(bucket, system, data, rows, fn, repeat, setup=None, unit_rows=None, peak=None,
          warmup=1, **extra):
    """Times fn (workloads.measure); `peak` (a ChildPeak or SelfPeak) records its peak RSS."""
    log(f"  timing {system} ({data}) ...")
    load_before = os.getloadavg()[0]
    m = workloads.measure(fn, repeat, setup=setup, peak=peak, warmup=warmup)
    # The 1-minute load average around the runs: above ~2 on this 2-core machine, something
    # else was competing for the CPUs.
    entry = {"system": system, "data": data, "rows": rows, **m, **extra,
             "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    if unit_rows:
        entry["per_unit"] = m["median"] / unit_rows
    bucket.setdefault("results", []).append(entry)
    log(f"    min {m['min']:.3f} s  median {m['median']:.3f} s  runs "
        + " ".join(f"{t:.3f}" for t in m["runs"])
        + (f"  peak RSS {m['peak_rss_mib']:.0f} MiB" if m.get("peak_rss_mib") else ""))
    return entry


def run_size(run, size, fst, sdk, con, data_dir, args, systems):
    s = datagen.SIZES[size]
    log(f"\n==> size {size}: {s.feature_rows:,} feature rows, {s.entities:,} entities, "
        f"{s.entity_rows:,} entity rows")
    t0 = time.perf_counter()
    paths = datagen.generate(size, data_dir, args.seed, log=lambda m: log("  " + m))
    res = {"dims": dataclasses.asdict(s), "generate_s": round(time.perf_counter() - t0, 1),
           "workloads": {}}
    work = data_dir / "work" / size
    work.mkdir(parents=True, exist_ok=True)
    repeat, warmup = args.repeat, args.warmup
    feast_here = "feast" in systems and size in args.feast_sizes
    if "feast" in systems and s.streamed:
        res["feast_skipped"] = f"Feast not run at {size}: no Feast variant at a streamed size"
    elif "feast" in systems and not feast_here:
        res["feast_skipped"] = (f"Feast not run at {size} (run with --feast-sizes "
                                f"{','.join(args.feast_sizes + [size])} to include it)")
    wl = args.workloads
    if s.streamed:
        skipped = [w for w in wl if w not in STREAMED_WORKLOADS]
        if skipped:
            res["workloads_skipped"] = (
                f"{', '.join(skipped)} not run at {size}: it needs the CSV copy of the features, "
                f"which a streamed size does not make (sizes S and M measure it)")
            log("  " + res["workloads_skipped"])
        wl = [w for w in wl if w in STREAMED_WORKLOADS]
    repos = {}
    feast = None

    def fst_repo(kind):
        """The Featherstone repo over `features` ('main') or `feast_features` ('feast'),
        ingested once (that load and its peak RSS are reported, not part of any retrieval
        figure)."""
        if kind not in repos:
            repo = fst.make_repo(work / f"fst-{kind}", "parquet")
            src = paths["features"] if kind == "main" else paths["feast_features"]
            fst.peak.start()
            t = time.perf_counter()
            fst.ingest(repo, src)
            repos[kind] = (repo, time.perf_counter() - t, fst.peak.mib())
        return repos[kind][0]

    def get_feast():
        nonlocal feast
        if feast is None:
            feast = workloads.Feast(work / "feast", paths["feast_features"])
        return feast

    # (1) point-in-time historical retrieval
    if "pit" in wl:
        b = res["workloads"].setdefault("pit", {"rows": s.entity_rows})
        log("  -- PIT historical retrieval")
        try:
            spine = pq.read_table(paths["spine"])
            gates_ok = True
            outs = {}
            if "featherstone" in systems:
                repo = fst_repo("main")
                b["featherstone_ingest_parquet_s"] = repos["main"][1]
                b["featherstone_ingest_parquet_peak_rss_mib"] = repos["main"][2]
                outs["featherstone"] = pq.read_table(
                    fst.historical(repo, paths["spine"], work / "fst_pit.parquet"))
                gates_ok &= run.gate(check_input_order(outs["featherstone"], spine), b)
            if "duckdb" in systems:
                outs["duckdb"] = pq.read_table(workloads.duckdb_pit(
                    con, paths["features"], paths["spine"], work / "duck_pit.parquet"))
                # The in-memory formulation: the same SQL over tables loaded once (untimed).
                mem = (workloads.duckdb_load(con, "mem_features", paths["features"], True),
                       workloads.duckdb_load(con, "mem_spine", paths["spine"]))
                outs[DUCK_MEM] = pq.read_table(workloads.duckdb_pit(
                    con, *mem, work / "duck_mem_pit.parquet"))
            if "featherstone-python" in systems:
                outs["featherstone (python)"] = pq.read_table(
                    sdk.historical(fst_repo("main"), paths["spine"], work / "sdk_pit.parquet"))
                gates_ok &= run.gate(check_input_order(outs["featherstone (python)"], spine,
                                                       "featherstone (python) historical"), b)
            base = "duckdb" if "duckdb" in outs else "featherstone"
            for name in [n for n in outs if n != base and base in outs]:
                gates_ok &= run.gate(gate.compare(
                    outs[base], outs[name], FEATURES,
                    what=f"{size} PIT: {base} vs {name}", names=(base, name)), b)
            del outs
            if gates_ok:
                if "featherstone" in systems:
                    timed(b, "featherstone", "main", s.entity_rows,
                          lambda: fst.historical(repo, paths["spine"], work / "fst_pit.parquet"),
                          repeat, peak=fst.peak, warmup=warmup)
                if "featherstone-python" in systems:
                    timed(b, "featherstone (python)", "main", s.entity_rows,
                          lambda: sdk.historical(fst_repo("main"), paths["spine"],
                                                 work / "sdk_pit.parquet"),
                          repeat, note="a Python process per call: interpreter start, imports, "
                          "the entity file read into a pyarrow Table, get_historical_features, "
                          "the result written to Parquet", peak=sdk.peak, warmup=warmup)
                if "duckdb" in systems:
                    # The loaded tables are dropped before the Parquet formulation runs, so
                    # that its peak RSS (this process's) does not hold them.
                    timed(b, DUCK_MEM, "main", s.entity_rows,
                          lambda: workloads.duckdb_pit(con, *mem, work / "duck_mem_pit.parquet"),
                          repeat, note=DUCK_MEM_NOTE, peak=SELF_PEAK, warmup=warmup)
                    drop_mem_tables(con)
                    timed(b, "duckdb", "main", s.entity_rows,
                          lambda: workloads.duckdb_pit(con, paths["features"], paths["spine"],
                                                       work / "duck_pit.parquet"), repeat,
                          peak=SELF_PEAK, warmup=warmup)
        except Exception as e:  # noqa: BLE001
            run.error(f"{size} pit", e, b)
        finally:
            drop_mem_tables(con)
        if feast_here:
            try:
                fspine = pq.read_table(paths["feast_spine"])
                ok = True
                base, base_name = None, None
                if "featherstone" in systems:
                    frepo = fst_repo("feast")
                    base = pq.read_table(fst.historical(frepo, paths["feast_spine"],
                                                        work / "fst_pit_feast.parquet"))
                    base_name = "featherstone"
                    ok &= run.gate(check_input_order(base, fspine), b)
                if "duckdb" in systems:
                    do = workloads.duckdb_pit(con, paths["feast_features"], paths["feast_spine"])
                    if base is not None:
                        ok &= run.gate(gate.compare(
                            do, base, FEATURES,
                            what=f"{size} PIT feast-variant: duckdb vs featherstone",
                            names=("duckdb", "featherstone")), b)
                    else:
                        base, base_name = do, "duckdb"
                fe = get_feast()
                go = fe.historical(paths["feast_spine"])
                ok &= run.gate(gate.compare_allowing_dropped(
                    base, go, FEATURES, what=f"{size} PIT feast-variant: {base_name} vs feast",
                    names=(base_name, "feast")), b)
                if ok:
                    if "featherstone" in systems:
                        timed(b, "featherstone", "feast-variant", fspine.num_rows,
                              lambda: fst.historical(frepo, paths["feast_spine"],
                                                     work / "fst_pit_feast.parquet"), repeat,
                              peak=fst.peak, warmup=warmup)
                    timed(b, "feast", "feast-variant", fspine.num_rows,
                          lambda: fe.historical(paths["feast_spine"], work / "feast_pit.parquet"),
                          repeat, peak=SELF_PEAK, warmup=warmup)
            except Exception as e:  # noqa: BLE001
                run.error(f"{size} pit feast", e, b)

    # (2) windowed aggregation backfill
    if "window" in wl:
        b = res["workloads"].setdefault("window", {"rows": s.entity_rows})
        log("  -- windowed aggregation backfill")
        try:
            wspine_path = paths["window_spine"]
            wspine = pq.read_table(wspine_path)
            gates_ok = True
            outs = {}
            if "featherstone" in systems:
                repo = fst_repo("main")
                outs["featherstone"] = pq.read_table(
                    fst.historical(repo, wspine_path, work / "fst_window.parquet", AGG_REFS))
                gates_ok &= run.gate(check_input_order(outs["featherstone"], wspine,
                                                       "featherstone historical (windows)"), b)
            if "duckdb" in systems:
                outs["duckdb"] = pq.read_table(workloads.duckdb_window(
                    con, paths["features"], wspine_path, work / "duck_window.parquet"))
                mem = (workloads.duckdb_load(con, "mem_features", paths["features"]),
                       workloads.duckdb_load(con, "mem_window_spine", wspine_path))
                outs[DUCK_MEM] = pq.read_table(workloads.duckdb_window(
                    con, *mem, work / "duck_mem_window.parquet"))
            if "featherstone" in outs:
                for name in [n for n in outs if n != "featherstone"]:
                    gates_ok &= run.gate(gate.compare(
                        outs[name], outs["featherstone"], AGG_FEATURES, atol=WINDOW_ATOL,
                        what=f"{size} windows: {name} vs featherstone",
                        names=(name, "featherstone")), b)
            del outs
            if gates_ok:
                if "featherstone" in systems:
                    timed(b, "featherstone", "main", s.entity_rows,
                          lambda: fst.historical(repo, wspine_path, work / "fst_window.parquet",
                                                 AGG_REFS), repeat, peak=fst.peak, warmup=warmup)
                if "duckdb" in systems:
                    # As for workload 1: the loaded tables are dropped before the Parquet run.
                    timed(b, DUCK_MEM, "main", s.entity_rows,
                          lambda: workloads.duckdb_window(con, *mem,
                                                          work / "duck_mem_window.parquet"),
                          repeat, note=DUCK_MEM_NOTE, peak=SELF_PEAK, warmup=warmup)
                    drop_mem_tables(con)
                    timed(b, "duckdb", "main", s.entity_rows,
                          lambda: workloads.duckdb_window(con, paths["features"], wspine_path,
                                                          work / "duck_window.parquet"), repeat,
                          peak=SELF_PEAK, warmup=warmup)
        except Exception as e:  # noqa: BLE001
            run.error(f"{size} window", e, b)
        finally:
            drop_mem_tables(con)

    # (3) materialization offline -> online, and (4) online lookup, on the Feast variant (and
    # Featherstone's materialize on the main data too: the one series every size has)
    keys = online_keys(size, args.seed)
    if "materialize" in wl or "online" in wl:
        kspine = write_online_spine(keys, work / "online_spine.parquet")
    start_iso, end_iso = iso(MAT_START), iso(MAT_END)
    if "materialize" in wl or "online" in wl:
        # A streamed size has no Feast variant: online runs on the main data there.
        variant = "feast_features" in paths
        variant_rows = (pq.ParquetFile(paths["feast_features"]).metadata.num_rows if variant
                        else None)
        bm = res["workloads"].setdefault("materialize", {"rows": variant_rows or s.feature_rows})
        bo = res["workloads"].setdefault("online", {"rows": len(keys)})
        log("  -- materialize + online")
        mat_ok = {}
        try:
            if "featherstone" in systems:
                # Featherstone on the main data too (ties decided by created_ts and order).
                repo = fst_repo("main")
                fst.materialize(repo, start_iso, end_iso)
                got = fst.online_table(fst.online(repo, keys, end_iso))
                exp = workloads.duckdb_pit(con, paths["features"], kspine)
                mat_ok["featherstone main"] = run.gate(gate.compare(
                    exp, got, FEATURES, key="customer_id",
                    what=f"{size} materialize+online main: duckdb vs featherstone",
                    names=("duckdb", "featherstone")), bm)
            if variant:
                exp = workloads.duckdb_pit(con, paths["feast_features"], kspine)
            if "featherstone" in systems and variant:
                frepo = fst_repo("feast")
                fst.materialize(frepo, start_iso, end_iso)
                got = fst.online_table(fst.online(frepo, keys, end_iso))
                mat_ok["featherstone"] = run.gate(gate.compare(
                    exp, got, FEATURES, key="customer_id",
                    what=f"{size} materialize+online feast-variant: duckdb vs featherstone",
                    names=("duckdb", "featherstone")), bm)
            if feast_here:
                fe = get_feast()
                fe.materialize(MAT_START, MAT_END)
                got = fe.online_table(fe.online(keys))
                mat_ok["feast"] = run.gate(gate.compare(
                    exp, got, FEATURES, key="customer_id",
                    what=f"{size} materialize+online feast-variant: duckdb vs feast",
                    names=("duckdb", "feast")), bm)
        except Exception as e:  # noqa: BLE001
            run.error(f"{size} materialize gate", e, bm)
        try:
            if "materialize" in wl:
                if mat_ok.get("featherstone main"):
                    timed(bm, "featherstone", "main", s.feature_rows,
                          lambda: fst.materialize(repo, start_iso, end_iso), repeat,
                          peak=fst.peak, warmup=warmup)
                if mat_ok.get("featherstone"):
                    timed(bm, "featherstone", "feast-variant", variant_rows,
                          lambda: fst.materialize(frepo, start_iso, end_iso), repeat,
                          peak=fst.peak, warmup=warmup)
                if mat_ok.get("feast"):
                    timed(bm, "feast", "feast-variant", variant_rows,
                          lambda: fe.materialize(MAT_START, MAT_END), repeat,
                          peak=SELF_PEAK, warmup=warmup)
            if "online" in wl:
                if not variant and mat_ok.get("featherstone main"):
                    mat_ok["featherstone"], frepo = True, repo
                data = "feast-variant" if variant else "main"
                if mat_ok.get("featherstone"):
                    timed(bo, "featherstone", data, len(keys),
                          lambda: fst.online(frepo, keys, end_iso), repeat, unit_rows=len(keys),
                          note="one process per batch", peak=fst.peak, warmup=warmup)
                    timed(bo, "featherstone (1 entity)", data, 1,
                          lambda: fst.online(frepo, keys[:1], end_iso), repeat, unit_rows=1,
                          note="process start-up and store open: the fixed cost per call",
                          peak=fst.peak, warmup=warmup)
                if mat_ok.get("feast"):
                    timed(bo, "feast", "feast-variant", len(keys),
                          lambda: fe.online(keys), repeat, unit_rows=len(keys),
                          note="in-process call", peak=SELF_PEAK, warmup=warmup)
        except Exception as e:  # noqa: BLE001
            run.error(f"{size} materialize/online timing", e, bm)

    # (5) ingest CSV -> Parquet
    if "ingest" in wl:
        b = res["workloads"].setdefault("ingest", {"rows": s.feature_rows})
        log("  -- ingest CSV -> Parquet")
        try:
            truth = sort_all(pq.read_table(paths["features"]))
            ok = True
            repo_csv = work / "fst-ingest"
            if "featherstone" in systems:
                fst.make_repo(repo_csv, "csv")
                fst.ingest(repo_csv, paths["features_csv"])
                ok &= run.gate(gate.compare(truth, sort_all(fst.stored_rows(repo_csv)),
                                            truth.column_names[:-1], key="i",
                                            what=f"{size} ingest CSV: generator vs featherstone store",
                                            names=("generator", "featherstone")), b)
            duck_out = work / "duck_ingest.parquet"
            if "duckdb" in systems:
                workloads.duckdb_ingest_csv(con, paths["features_csv"], duck_out)
                ok &= run.gate(gate.compare(truth, sort_all(pq.read_table(duck_out)),
                                            truth.column_names[:-1], key="i",
                                            what=f"{size} ingest CSV: generator vs duckdb",
                                            names=("generator", "duckdb")), b)
            del truth
            if ok:
                if "featherstone" in systems:
                    timed(b, "featherstone", "CSV", s.feature_rows,
                          lambda: fst.ingest(repo_csv, paths["features_csv"]), repeat,
                          setup=lambda: fst.make_repo(repo_csv, "csv"), peak=fst.peak,
                          warmup=warmup)
                if "duckdb" in systems:
                    timed(b, "duckdb", "CSV", s.feature_rows,
                          lambda: workloads.duckdb_ingest_csv(con, paths["features_csv"], duck_out),
                          repeat, peak=SELF_PEAK, warmup=warmup)
                if "featherstone" in systems:
                    repo_pq = work / "fst-ingest-parquet"
                    timed(b, "featherstone", "Parquet", s.feature_rows,
                          lambda: fst.ingest(repo_pq, paths["features"]), repeat,
                          setup=lambda: fst.make_repo(repo_pq, "parquet"),
                          note="the load before workload 1", peak=fst.peak, warmup=warmup)
        except Exception as e:  # noqa: BLE001
            run.error(f"{size} ingest", e, b)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1].strip(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="S",
                    help="comma-separated: tiny,XS,S,M,L (default S; L is 100M feature rows, "
                         "generated on disk, running pit, window, materialize and online)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per system (>= 3)")
    ap.add_argument("--feast-sizes", default="S", help="sizes at which Feast runs (default S)")
    ap.add_argument("--systems", default="featherstone,featherstone-python,duckdb,feast",
                    help="comma-separated; featherstone-python is the SDK in --sdk-python")
    ap.add_argument("--sdk-python", default=str(ROOT / ".venv" / "bin" / "python"),
                    help="a Python that imports featherstone (pip install --no-build-isolation .)")
    ap.add_argument("--workloads", default="pit,window,materialize,online,ingest",
                    help="comma-separated, any of pit,window,materialize,online,ingest")
    ap.add_argument("--seed", type=int, default=datagen.DEFAULT_SEED)
    ap.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    ap.add_argument("--data-dir", default=str(BENCH / "data"))
    ap.add_argument("--results-dir", default=str(BENCH / "results"))
    ap.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-docs", action="store_true", help="write the results JSON only")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs before the timed ones (default 1; 0 at L, where the "
                         "gate's run of each system has just read the same files)")
    ap.add_argument("--allow-few-runs", action="store_true",
                    help="accept --repeat below 3 (for trying the harness)")
    args = ap.parse_args(argv)
    args.sizes = [x for x in args.sizes.split(",") if x]
    args.feast_sizes = [x for x in args.feast_sizes.split(",") if x]
    args.workloads = [x for x in args.workloads.split(",") if x]
    for w in args.workloads:
        if w not in report.WORKLOADS:
            ap.error(f"unknown workload {w}; workloads: {', '.join(report.WORKLOADS)}")
    systems = [x for x in args.systems.split(",") if x]
    for sz in args.sizes + args.feast_sizes:
        if sz not in datagen.SIZES:
            ap.error(f"unknown size {sz}; sizes: {', '.join(datagen.SIZES)}")
        if sz in args.feast_sizes and datagen.SIZES[sz].streamed:
            ap.error(f"--feast-sizes {sz}: Feast does not run at {sz} (a streamed size has no "
                     "Feast variant)")
    if args.repeat < 3 and not args.allow_few_runs:
        ap.error("--repeat must be at least 3 (or pass --allow-few-runs)")
    if "featherstone" in systems and not os.access(args.bin, os.X_OK):
        ap.error(f"no featherstone binary at {args.bin}; build it (scripts/bench does)")

    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    pa.set_cpu_count(THREADS)
    pa.set_io_thread_count(THREADS)
    data_dir = pathlib.Path(args.data_dir)
    run = Run(args)
    # A private copy of the binary: build/ is shared, and a rebuild during a long run would
    # swap (or briefly remove) the binary under it. Its rpath to the Arrow libraries is absolute.
    snapshot = data_dir / "work" / "bin" / "featherstone"
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(args.bin, snapshot)
    fst = workloads.Featherstone(snapshot)
    sdk = workloads.FeatherstonePython(args.sdk_python)
    if "featherstone-python" in systems:
        missing = sdk.available()
        if missing:
            ap.error(f"featherstone-python: {missing}; run `pip install --no-build-isolation .` "
                     "in the project venv, or leave it out of --systems")
    con = workloads.duckdb_connect() if "duckdb" in systems or "materialize" in args.workloads \
        or "online" in args.workloads else None
    info, versions = machine_info(args.bin)
    versions["featherstone_sha256"] = hashlib.sha256(snapshot.read_bytes()).hexdigest()[:16]
    started = dt.datetime.now(dt.timezone.utc)
    log(f"==> {info.get('lscpu_model_name', '?')}, {info.get('logical_cpus')} CPUs, "
        f"{info.get('ram_gib')} GiB; featherstone {versions.get('featherstone')}, duckdb "
        f"{versions.get('duckdb')}, feast {versions.get('feast')}; {THREADS} threads each")
    out = {
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": info, "versions": versions,
        "config": {"sizes": args.sizes, "feast_sizes": args.feast_sizes, "repeat": args.repeat,
                   "warmup": args.warmup, "threads": THREADS, "seed": args.seed, "systems": systems,
                   "workloads": args.workloads, "online_batch": ONLINE_BATCH,
                   "materialize_window": [iso(MAT_START), iso(MAT_END)],
                   "ttl_days": datagen.TTL_DAYS},
        "validation": validate_tiny(run, fst, sdk, con, data_dir, args.seed, systems),
        "sizes": {},
    }
    for size in args.sizes:
        out["sizes"][size] = run_size(run, size, fst, sdk, con, data_dir, args, systems)
    out["elapsed_s"] = round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1)
    out["failures"] = run.failed

    results_dir = pathlib.Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{started.strftime('%Y-%m-%d')}-{info['hostname']}.json"
    if path.exists():
        path = results_dir / f"{started.strftime('%Y-%m-%d-%H%M%S')}-{info['hostname']}.json"
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    log(f"\n==> results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if run.failed:
        log(f"==> {len(run.failed)} failure(s); docs not updated:")
        for f in run.failed:
            log("  " + f.splitlines()[0])
        return 1
    if not args.no_docs:
        md, png = report.write(pathlib.Path(args.docs), results_dir, latest=path)
        log(f"==> wrote {md} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
