#!/usr/bin/env python3
"""Python SDK benchmarks (docs/python.md "Performance"):

  (a) online lookup of one entity: the SDK's get_online_features against the bound C++ call
      it wraps (featherstone._featherstone.Store.online), the same request many times,
      interleaved; reports p50/p90/p99/p99.9 per call and the wrapper's overhead (target <= 2 us);
  (b) training set for the 1M entity rows of size M (10M feature rows): the SDK's
      get_historical_features against `featherstone historical` on the same repo and spine
      (target: within 10% of the CLI), results checked equal first.

Data: bench/datagen.py (deterministic; reused from bench/data/<size> when present).
Run after scripts/setup and `pip install --no-build-isolation .`:

  .venv/bin/python bench/python_sdk_bench.py                 # size M, 3 timed runs
  .venv/bin/python bench/python_sdk_bench.py --size S --calls 100000
  .venv/bin/python bench/python_sdk_bench.py --reuse --skip-historical   # online only
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


def bench_online(fs, key, calls):
    """Per-call latencies (ns) of the bound C++ call and of the SDK call, measured in pairs
    (the two calls back to back, in alternating order) so that machine noise hits both; the
    overhead is the median of the per-pair differences."""
    native = fs._native
    refs = native.resolve(",".join(FEATURES), "")
    rows = [{"customer_id": key}]
    clock = time.perf_counter_ns
    get = fs.get_online_features
    online = native.online
    for _ in range(200):  # warm-up: caches, the resolved-refs cache
        online(refs, rows, None, False)
        get(FEATURES, rows)
    assert get(FEATURES, rows).rows == online(refs, rows, None, False)
    direct, wrapped, diffs = [], [], []
    gc.disable()
    try:
        for i in range(calls):
            if i & 1:
                t0 = clock()
                online(refs, rows, None, False)
                t1 = clock()
                get(FEATURES, rows)
                t2 = clock()
                d, w = t1 - t0, t2 - t1
            else:
                t0 = clock()
                get(FEATURES, rows)
                t1 = clock()
                online(refs, rows, None, False)
                t2 = clock()
                w, d = t1 - t0, t2 - t1
            direct.append(d)
            wrapped.append(w)
            diffs.append(w - d)
    finally:
        gc.enable()
    return direct, wrapped, diffs


class _StubNative:
    """Stands in for the extension: `online` returns a fixed result at once, so timing the
    SDK call measures its Python layer alone."""

    def __init__(self, real, result):
        self._real = real
        self._result = result

    def online(self, refs, entity_rows, at, full_feature_names, response_type=None):
        if response_type is None:
            return self._result
        response = response_type.__new__(response_type)
        response.rows = self._result
        return response

    def __getattr__(self, name):
        return getattr(self._real, name)


def bench_wrapper_alone(fs, key, calls):
    """The SDK's Python layer with the engine call stubbed: (stub call ns, SDK call ns)."""
    real = fs._native
    refs = real.resolve(",".join(FEATURES), "")
    rows = [{"customer_id": key}]
    stub = _StubNative(real, real.online(refs, rows, None, False))
    fs._native = stub
    clock = time.perf_counter_ns
    get = fs.get_online_features
    try:
        for _ in range(200):
            get(FEATURES, rows)
        bare, wrapped = [], []
        gc.disable()
        for _ in range(calls):
            t0 = clock()
            stub.online(refs, rows, None, False)
            t1 = clock()
            get(FEATURES, rows)
            t2 = clock()
            bare.append(t1 - t0)
            wrapped.append(t2 - t1)
    finally:
        gc.enable()
        fs._native = real
    return bare, wrapped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(datagen.SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--bin", help="featherstone command (default build/featherstone)")
    parser.add_argument("--skip-historical", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the repo a previous run ingested (skips the ingest)")
    args = parser.parse_args()
    binary = cli_binary(args.bin)
    os.environ["FST_THREADS"] = str(workloads.THREADS)

    paths = datagen.generate(args.size, args.data, csv=False)
    work = pathlib.Path(args.data) / "work" / args.size / "python-sdk"
    repo = work / "repo"
    if args.reuse and (repo / ".featherstone").is_dir():
        fs = fst.FeatureStore(repo)
        print(f"size {args.size}: reusing {repo}; featherstone command: {binary}")
    else:
        if work.exists():
            shutil.rmtree(work)
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
        # Interleaved (each repetition runs every case once), so that all cases see the
        # same machine load; the first repetition is a discarded warm-up.
        times = {name: [] for name in cases}
        for rep in range(1 + args.repeat):
            for name, run in cases.items():
                t0 = time.perf_counter()
                run()
                if rep:
                    times[name].append(time.perf_counter() - t0)
        results = {name: {"runs": t, "min": min(t), "median": statistics.median(t)}
                   for name, t in times.items()}
        cli_median = results[next(iter(cases))]["median"]
        cli_min = results[next(iter(cases))]["min"]
        print(f"\n{'historical, ' + format(spine.num_rows, ',') + ' entity rows':<60}"
              f"{'min s':>8}{'median s':>10}{'min vs CLI':>12}{'median vs CLI':>15}")
        for name, r in results.items():
            print(f"{name:<60}{r['min']:>8.3f}{r['median']:>10.3f}"
                  f"{r['min'] / cli_min:>11.2f}x{r['median'] / cli_median:>14.2f}x")

    fs.materialize(end=datagen.BASE_US + datagen.SPAN_DAYS * datagen.DAY_US)
    key = 1
    direct, wrapped, diffs = bench_online(fs, key, args.calls)
    print(f"\nonline, one entity, {len(direct):,} paired calls (ns per call)")
    print(f"{'':<40}{'p50':>8}{'p90':>8}{'p99':>10}{'p99.9':>10}")
    for name, v in (("bound C++ call (Store.online)", direct),
                    ("fs.get_online_features", wrapped)):
        print(f"{name:<40}{percentile(v, 0.5):>8}{percentile(v, 0.9):>8}"
              f"{percentile(v, 0.99):>10}{percentile(v, 0.999):>10}")
    print(f"SDK overhead, median of paired differences: {percentile(diffs, 0.5) / 1000:.2f} us")
    bare, alone = bench_wrapper_alone(fs, key, args.calls)
    print(f"SDK Python layer with the engine call stubbed: p50 "
          f"{(percentile(alone, 0.5) - percentile(bare, 0.5)) / 1000:.2f} us over the stub "
          f"(stub call p50 {percentile(bare, 0.5)} ns, SDK call p50 {percentile(alone, 0.5)} ns)")
    fs.close()


if __name__ == "__main__":
    main()
