"""Point-in-time retrieval on Spark (featherstone.spark_engine) against the local engine, on the
benchmark data (datagen.py sizes; workload 1: one view, 5 features, ttl 30 d).

Both run in this process through the Python SDK, on the same repo (the features ingested as
Parquet) and the same spine file: the local engine is `get_historical_features`, Spark is
`spark_engine.historical` on an already started session (its start-up is reported apart).
Each timed call is checked against the local engine's table row by row. Reported per size:
min and median of --repeat runs after one warm-up, and each partition's kernel call (the C++
join on its rows, which is what more executors divide) from the last run.

  .venv/bin/python bench/spark_pit.py --sizes S,M --repeat 3 [--master local[2]]
      [--partitions N] [--driver-memory 4g]
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402
from workloads import FEATURE_REFS, fst_yaml, measure  # noqa: E402


def _repo(root, paths):
    import featherstone as fst

    repo = root / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    (repo / "featherstone.yaml").write_text(fst_yaml("parquet"))
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.ingest("features", paths["features"])
    return fs


def bench_size(size, data_dir, work_dir, master, repeat, partitions, driver_memory):
    from featherstone import spark_engine

    paths = datagen.generate(size, data_dir, csv=False)
    fs = _repo(work_dir / size, paths)
    spine = str(paths["spine"])
    refs = FEATURE_REFS.split(",")
    want = fs.get_historical_features(spine, refs)
    local = measure(lambda: fs.get_historical_features(spine, refs), repeat)

    t0 = time.perf_counter()
    spark = spark_engine.session(master, {"spark.driver.memory": driver_memory})
    started = time.perf_counter() - t0
    runs = []

    def run():
        r = spark_engine.historical(fs.repo_path, spine, features=FEATURE_REFS, master=master,
                                    partitions=partitions)
        runs.append(r)

    timed = measure(run, repeat)
    for r in runs:
        if not r.table.equals(want):
            raise SystemExit(f"{size}: the Spark table differs from the local engine's")
    calls = runs[-1].kernel_calls
    seconds = [c[2] for c in calls]
    fs.close()
    return {
        "size": size,
        "entity_rows": want.num_rows,
        "feature_rows": datagen.SIZES[size].feature_rows,
        "master": master,
        "partitions": runs[-1].partitions,
        "parallelism": spark.sparkContext.defaultParallelism,
        "session_start_s": started,
        "local": local,
        "spark": timed,
        "overhead_x": timed["median"] / local["median"],
        "kernel": {
            "calls": len(calls),
            "sum_s": sum(seconds),
            "max_s": max(seconds),
            "median_s": statistics.median(seconds),
            "entity_rows_per_call": statistics.median(c[0] for c in calls),
            "source_rows_per_call": statistics.median(c[1] for c in calls),
        },
        "identical_rows": True,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--driver-memory", default="4g",
                        help="spark.driver.memory (local masters run the executors in it)")
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--out", default=None, help="also write the results as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("FST_THREADS", "2")
    work = pathlib.Path(args.data) / "work" / "spark"
    results = []
    for size in args.sizes.split(","):
        r = bench_size(size, pathlib.Path(args.data), work, args.master, args.repeat,
                       args.partitions, args.driver_memory)
        results.append(r)
        k = r["kernel"]
        print(f"{size}: {r['entity_rows']:,} entity rows x {r['feature_rows']:,} feature rows; "
              f"local min {r['local']['min']:.2f} s median {r['local']['median']:.2f} s; "
              f"spark {r['master']} ({r['partitions']} partitions) min {r['spark']['min']:.2f} s "
              f"median {r['spark']['median']:.2f} s ({r['overhead_x']:.1f}x; session start "
              f"{r['session_start_s']:.1f} s); kernel per partition median "
              f"{k['median_s']:.3f} s max {k['max_s']:.3f} s sum {k['sum_s']:.2f} s; rows "
              f"identical", flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
