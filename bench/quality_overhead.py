"""Validation overhead of a data contract at ingest (issue: contracts and quality at ingestion).

Ingests the same file (bench/data/<size>/features.csv or .parquet, from datagen.py) into two
fresh repos that differ only in the source's contract: none, or 10 expectations (5 row-level
with mostly, unique over three columns, 4 run-level). Every run starts from an empty
repository (apply, then a timed `featherstone ingest`); the configurations alternate so that
machine noise hits both alike. Reports min and median wall time and CPU time of the ingest
process, the overhead (contract / none - 1) of each, and writes
bench/results/quality-<date>-<host>-<size>-<format>.json. On a shared machine the CPU time is
the steadier figure.

    .venv/bin/python bench/quality_overhead.py                 # M (10M rows), CSV, 3 runs
    .venv/bin/python bench/quality_overhead.py --size S --format parquet --repeat 5

Both configurations compute the per-column metrics every run records (DESIGN section 5); the
overhead is that of the expectations. Nothing is quarantined: every failure is within its
`mostly` (the unique rule holds back about 2% of the rows until the end of the run).
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import datagen  # noqa: E402

ROOT = HERE.parent

SCHEMA = """\
    schema:
      - {name: customer_id, type: int64}
      - {name: f1, type: float64}
      - {name: f2, type: float64}
      - {name: f3, type: float64}
      - {name: f4, type: int64}
      - {name: f5, type: string}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
"""

CONTRACT = """\
    contract:
      policy: quarantine
      breaker: {threshold: 0.2, half_open_after: 10m}
      expectations:
        - {expect: not_null, column: customer_id}
        - {expect: not_null, column: f3, mostly: 0.98}
        - {expect: between, column: f1, min: -500, max: 500}
        - {expect: between, column: f4, min: -1000000, max: 1000000}
        - {expect: in_set, column: f5, values: [%s], mostly: 0.95}
        - {expect: regex, column: f5, regex: "^cat_[0-9]{4}$"}
        - {expect: unique, columns: [customer_id, event_ts, created_ts], mostly: 0.97}
        - {expect: null_rate_max, column: f2, max: 0.25}
        - {expect: row_count_between, min: 1}
        - {expect: mean_between, column: f1, min: -10, max: 10}
"""


def repo_yaml(fmt, contract):
    values = ", ".join(f"cat_{i:04d}" for i in range(1000))
    return ("project: bench\n"
            "entities:\n  - {name: customer, join_keys: [customer_id]}\n"
            "sources:\n  - name: events\n"
            f"    format: {fmt}\n"
            "    timestamp_field: event_ts\n"
            "    created_timestamp_field: created_ts\n"
            + SCHEMA + (CONTRACT % values if contract else "") +
            "feature_views:\n  - name: features\n    entities: [customer]\n    source: events\n"
            "    ttl: 30d\n    features:\n"
            + "".join(f"      - {{name: {f}}}\n" for f in ("f1", "f2", "f3", "f4", "f5")))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stdout}\n{p.stderr}")
    return p


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_ingest(binary, repo, data):
    """(wall seconds, CPU seconds of the ingest process, its output)."""
    shutil.rmtree(repo / ".featherstone", ignore_errors=True)
    run([binary, "-C", repo, "apply"])
    cpu = children_cpu()
    start = time.perf_counter()
    p = run([binary, "-C", repo, "ingest", "events", data])
    seconds = time.perf_counter() - start
    return seconds, children_cpu() - cpu, p.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M", choices=sorted(datagen.SIZES))
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    args = parser.parse_args()

    paths = datagen.generate(args.size, HERE / "data", csv=args.format == "csv")
    data = paths["features_csv" if args.format == "csv" else "features"]
    work = HERE / "data" / "work" / args.size / "quality"
    work.mkdir(parents=True, exist_ok=True)
    # A private copy of the binary: a rebuild during the run cannot swap it.
    binary = work / "featherstone"
    shutil.copy2(args.bin, binary)
    repos = {}
    for name, contract in (("none", False), ("contract", True)):
        repos[name] = work / name
        repos[name].mkdir(exist_ok=True)
        (repos[name] / "featherstone.yaml").write_text(repo_yaml(args.format, contract))

    times = {"none": [], "contract": []}
    cpus = {"none": [], "contract": []}
    outputs = {}
    # Warm-up (page cache), discarded.
    timed_ingest(binary, repos["none"], data)
    for i in range(args.repeat):
        for name in ("none", "contract") if i % 2 == 0 else ("contract", "none"):
            seconds, cpu, out = timed_ingest(binary, repos[name], data)
            times[name].append(seconds)
            cpus[name].append(cpu)
            outputs[name] = out
            print(f"run {i + 1} {name:8s} wall {seconds:7.2f} s  cpu {cpu:7.2f} s  "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    for name in times:
        print(f"{name}: {outputs[name]}")

    def stats(values):
        return {"min": min(values), "median": statistics.median(values), "runs": values}

    summary = {name: {"wall": stats(times[name]), "cpu": stats(cpus[name])} for name in times}

    def overhead(kind, stat):
        return summary["contract"][kind][stat] / summary["none"][kind][stat] - 1

    rows = datagen.SIZES[args.size].feature_rows
    print(f"\n{args.size} ({rows:,} rows, {args.format}), {args.repeat} runs each")
    for kind in ("wall", "cpu"):
        for name, label in (("none", "no contract"), ("contract", "10 expectations")):
            print(f"  {kind:4s} {label:16s} min {summary[name][kind]['min']:7.2f} s  "
                  f"median {summary[name][kind]['median']:7.2f} s")
        print(f"  {kind:4s} {'overhead':16s} min {overhead(kind, 'min') * 100:+6.1f}%   "
              f"median {overhead(kind, 'median') * 100:+6.1f}%")
    overheads = {f"{kind}_{stat}": overhead(kind, stat)
                 for kind in ("wall", "cpu") for stat in ("min", "median")}
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    out = results / f"quality-{stamp}-{socket.gethostname()}-{args.size}-{args.format}.json"
    out.write_text(json.dumps({
        "benchmark": "quality_overhead", "size": args.size, "rows": rows, "format": args.format,
        "repeat": args.repeat, "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "summary": summary, "overhead": overheads,
        "outputs": outputs,
    }, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
