#!/usr/bin/env python3
"""Python SDK benchmarks (docs/python.md "Performance"):

  (a) online lookup of one entity: the SDK's get_online_features against the bound C++ call
      it wraps (featherstone._featherstone.Store.online), the same request many times,
      interleaved; reports p50/p99 per call and the wrapper's overhead (target <= 2 us);
  (b) training set for the 1M entity rows of size M (10M feature rows): the SDK's
      get_historical_features against `featherstone historical` on the same repo and spine
      (target: within 10% of the CLI), results checked equal first.

Data: bench/datagen.py (deterministic; reused from bench/data/<size> when present).
Run after scripts/setup and `pip install --no-build-isolation .`:

  .venv/bin/python bench/python_sdk_bench.py                 # size M, 3 timed runs
  .venv/bin/python bench/python_sdk_bench.py --size S --calls 100000
"""

import argparse
import gc
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402
import workloads  # noqa: E402

import featherstone as fst  # noqa: E402

FEATURES = workloads.FEATURE_REFS.split(",")


def cli_binary(arg):
    if arg:
        return arg
    built = HERE.parent / "build" / "featherstone"
    return str(built) if built.exists() else shutil.which("featherstone")


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench_online(fs, key, calls, rounds=20):
    """Per-call latencies (ns) of the bound C++ call and of the SDK call, interleaved in
    rounds so that both see the same machine state."""
    native = fs._native
    refs = native.resolve(",".join(FEATURES), "")
    rows = [{"customer_id": key}]
    direct, wrapped = [], []
    per_round = max(1, calls // rounds)
    clock = time.perf_counter_ns
    get = fs.get_online_features
    online = native.online
    for _ in range(50):  # warm-up: caches, the resolved-refs cache
        online(refs, rows, None, False)
        get(FEATURES, rows)
    assert get(FEATURES, rows).rows == online(refs, rows, None, False)
    gc.disable()
    try:
        for _ in range(rounds):
            for _ in range(per_round):
                t0 = clock()
                online(refs, rows, None, False)
                direct.append(clock() - t0)
            for _ in range(per_round):
                t0 = clock()
                get(FEATURES, rows)
                wrapped.append(clock() - t0)
    finally:
        gc.enable()
    return direct, wrapped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(datagen.SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--bin", help="featherstone command (default build/featherstone)")
    parser.add_argument("--skip-historical", action="store_true")
    args = parser.parse_args()
    binary = cli_binary(args.bin)
    os.environ["FST_THREADS"] = str(workloads.THREADS)

    paths = datagen.generate(args.size, args.data, csv=False)
    work = pathlib.Path(args.data) / "work" / args.size / "python-sdk"
    if work.exists():
        shutil.rmtree(work)
    repo = work / "repo"
    repo.mkdir(parents=True)
    (repo / "featherstone.yaml").write_text(workloads.fst_yaml("parquet"))
    fs = fst.FeatureStore(repo)
    fs.apply()
    t0 = time.perf_counter()
    ingested = fs.ingest("features", paths["features"])
    print(f"size {args.size}: ingested {ingested.rows:,} feature rows in "
          f"{time.perf_counter() - t0:.1f}s; featherstone command: {binary}")

    results = {}
    if not args.skip_historical:
        spine_path = paths["spine"]
        spine = pq.read_table(spine_path)
        out = work / "cli_out.parquet"
        cli = workloads.Featherstone(binary)
        cli.historical(repo, spine_path, out)
        want = pq.read_table(out)
        got = fs.get_historical_features(spine, FEATURES)
        assert got.equals(want), "the SDK's training set differs from the CLI's"
        print(f"historical: {spine.num_rows:,} entity rows; SDK result equals the CLI's")
        sdk_out = work / "sdk_out.parquet"

        def sdk_write():
            pq.write_table(fs.get_historical_features(spine, FEATURES), sdk_out)

        def sdk_path_write():
            pq.write_table(fs.get_historical_features(spine_path, FEATURES), sdk_out)

        spine_df = spine.to_pandas()
        cases = {
            "cli: historical --entities spine.parquet --out out.parquet":
                lambda: cli.historical(repo, spine_path, out),
            "sdk: pyarrow Table in memory -> Table":
                lambda: fs.get_historical_features(spine, FEATURES),
            "sdk: pandas DataFrame in memory -> Table":
                lambda: fs.get_historical_features(spine_df, FEATURES),
            "sdk: spine.parquet path -> Table, written to out.parquet": sdk_path_write,
            "sdk: pyarrow Table -> Table, written to out.parquet": sdk_write,
        }
        for name, run in cases.items():
            results[name] = workloads.measure(run, args.repeat)
        cli_median = results[next(iter(cases))]["median"]
        print(f"\n{'historical, ' + format(spine.num_rows, ',') + ' entity rows':<60}"
              f"{'min s':>8}{'median s':>10}{'vs CLI':>9}")
        for name, r in results.items():
            print(f"{name:<60}{r['min']:>8.3f}{r['median']:>10.3f}"
                  f"{r['median'] / cli_median:>8.2f}x")

    fs.materialize(end=datagen.BASE_US + datagen.SPAN_DAYS * datagen.DAY_US)
    key = 1
    direct, wrapped = bench_online(fs, key, args.calls)
    d50, w50 = percentile(direct, 0.5), percentile(wrapped, 0.5)
    print(f"\nonline, one entity, {len(direct):,} calls each (ns per call)")
    print(f"{'':<34}{'p50':>8}{'p90':>8}{'p99':>8}")
    for name, v in (("bound C++ call (Store.online)", direct),
                    ("fs.get_online_features", wrapped)):
        print(f"{name:<34}{percentile(v, 0.5):>8}{percentile(v, 0.9):>8}"
              f"{percentile(v, 0.99):>8}")
    print(f"SDK wrapper overhead at p50: {(w50 - d50) / 1000:.2f} us "
          f"(mean: {(statistics.mean(wrapped) - statistics.mean(direct)) / 1000:.2f} us)")
    fs.close()


if __name__ == "__main__":
    main()
