"""Compaction's benchmark: what many small parts cost a training set and a materialization, and
what `featherstone compact` costs (docs/impl.md "Compaction").

A repo with one source of P small parts (ingests of R rows each, as a stream's micro-batches
leave them; K customers), a view with latest-row features and 1d/7d count/sum/avg windows.
Times `historical` over an entity file of E rows and `materialize --end` before and after
`compact` (wall seconds, min and median of --repeat runs), checks the training set is byte-equal,
and reports the compaction's wall time and peak memory (/usr/bin/time -v) and the load average.

  .venv/bin/python bench/compact_bench.py [--parts 1000] [--rows 200] [--entities 20000]
"""
import argparse
import os
import pathlib
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DAY_US = 86_400_000_000
START_US = 1_767_225_600_000_000  # 2026-01-01

YAML = """project: compact_bench
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {name: amount}
      - {name: order_id}
      - {name: orders_1d, agg: count, column: order_id, window: 1d}
      - {name: orders_7d, agg: count, column: order_id, window: 7d}
      - {name: amount_7d, agg: sum, column: amount, window: 7d}
      - {name: avg_amount_7d, agg: avg, column: amount, window: 7d}
"""
FEATURES = ",".join(f"customer_features:{f}" for f in
                    ("amount", "order_id", "orders_1d", "orders_7d", "amount_7d", "avg_amount_7d"))


def run(fst, repo, *args):
    p = subprocess.run([fst, "-C", str(repo), *map(str, args)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"featherstone {' '.join(map(str, args))} failed:\n{p.stderr}")
    return p.stdout


def timed(fst, repo, repeat, *args):
    seconds = []
    for _ in range(repeat):
        t = time.perf_counter()
        run(fst, repo, *args)
        seconds.append(time.perf_counter() - t)
    return min(seconds), statistics.median(seconds)


def iso(us):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bin", default=str(ROOT / "build/featherstone"))
    parser.add_argument("--dir", default=str(ROOT / "bench/data/compact"))
    args = parser.parse_args()
    fst = args.bin
    base = pathlib.Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    repo = base / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "featherstone.yaml").write_text(YAML)
    run(fst, repo, "apply")
    rng = random.Random(1)
    span_us = 60 * DAY_US
    files = []
    for p in range(args.parts):
        lines = ["customer_id,order_id,amount,event_ts"]
        for i in range(args.rows):
            c = rng.randrange(args.customers)
            ts = START_US + (p * span_us) // args.parts + rng.randrange(DAY_US)
            amount = "" if rng.random() < 0.05 else f"{rng.random() * 100:.2f}"
            lines.append(f"{c},p{p}-{i},{amount},{iso(ts)}")
        path = base / f"part-{p}.csv"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    t = time.perf_counter()
    for i in range(0, len(files), 200):
        run(fst, repo, "ingest", "orders", *files[i:i + 200])
    ingest_s = time.perf_counter() - t
    spine = base / "spine.csv"
    with open(spine, "w") as f:
        f.write("customer_id,event_timestamp\n")
        for _ in range(args.entities):
            f.write(f"{rng.randrange(args.customers)},"
                    f"{iso(START_US + rng.randrange(span_us + 2 * DAY_US))}\n")
    end = iso(START_US + span_us + DAY_US)

    def measure(tag):
        out = base / f"train-{tag}.parquet"
        hist = timed(fst, repo, args.repeat, "historical", "--entities", spine,
                     "--features", FEATURES, "--out", out)
        mat = timed(fst, repo, args.repeat, "materialize", "--end", end)
        return hist, mat, out.read_bytes()

    before = measure("before")
    p = subprocess.run(["/usr/bin/time", "-v", fst, "-C", str(repo), "compact", "orders"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", p.stderr).group(1)
    rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    after = measure("after")
    assert after[2] == before[2], "the training set changed"
    rows = args.parts * args.rows
    print(f"{args.parts} parts x {args.rows} rows = {rows} rows, {args.customers} customers; "
          f"entity rows {args.entities}; load {os.getloadavg()[0]:.1f}")
    print(f"ingest of the parts: {ingest_s:.1f} s")
    print(p.stdout.strip().splitlines()[-1])
    print(f"compact: wall {wall}, peak RSS {rss_mb:.0f} MiB")
    print("| | before (min / median s) | after (min / median s) |")
    print("|---|---|---|")
    print(f"| historical | {before[0][0]:.2f} / {before[0][1]:.2f} | "
          f"{after[0][0]:.2f} / {after[0][1]:.2f} |")
    print(f"| materialize --end | {before[1][0]:.2f} / {before[1][1]:.2f} | "
          f"{after[1][0]:.2f} / {after[1][1]:.2f} |")
    print("training set byte-equal after compaction: yes")


if __name__ == "__main__":
    main()
