"""Online lookups through Redis Cluster against RocksDB, and materialization into each.

Two copies of the `featherstone init` repo (3M orders, 96,891 customers), one with
`online_store: rocksdb`, one with `online_store: redis://...` on a six-node cluster on loopback
(three masters with a replica each; tests/e2e/redis_cluster.py). Each is ingested and
materialized (rows/s = keys written / wall seconds of `materialize`), then
build/bench/online_lookup_benchmark times in-process lookups of 1 and 100 entities (one column
feature, and the churn_model service: two aggregations and an expression) against each store:
p50/p99 in µs.

    .venv/bin/python bench/online_redis.py                  # 20,000 calls per case
    .venv/bin/python bench/online_redis.py --calls 5000

Writes bench/results/online-redis-<date>-<host>.json and prints a markdown table.
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import redis_cluster  # noqa: E402

FST = ROOT / "build" / "featherstone"
LOOKUP = ROOT / "build" / "bench" / "online_lookup_benchmark"
END = "2027-01-01T00:00:00Z"
CASES = ["customer_features:last_order_amount", "customer_features:last_order_amount#100",
         "service=churn_model", "service=churn_model#100"]


def fst(repo, *args):
    p = subprocess.run([str(FST), "-C", str(repo), *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"featherstone {' '.join(args)} failed:\n{p.stderr}")
    return p.stdout


def prepare(repo, online_store):
    """init, set the online store, apply, ingest; returns the materialize figures."""
    subprocess.run([str(FST), "init", str(repo)], check=True, capture_output=True)
    yaml = repo / "featherstone.yaml"
    yaml.write_text(yaml.read_text().replace("# online_store: rocksdb",
                                             f"online_store: {online_store}\n#", 1))
    fst(repo, "apply")
    fst(repo, "ingest", "orders", str(repo / "data" / "orders.csv"))
    start = time.monotonic()
    out = fst(repo, "materialize", "--end", END)
    seconds = time.monotonic() - start
    keys = sum(int(k) for k in re.findall(r"(\d+) keys", out))
    return {"keys": keys, "seconds": round(seconds, 2), "rows_per_s": round(keys / seconds)}


def lookups(repo, calls):
    p = subprocess.run([str(LOOKUP), str(repo), "customer_id", "100000", str(calls), *CASES],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"online_lookup_benchmark failed:\n{p.stderr}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=20000, help="lookups per case (default 20000)")
    args = ap.parse_args()
    for tool in (FST, LOOKUP):
        if not tool.exists():
            sys.exit(f"{tool} is missing: build the release preset first")
    results = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "host": platform.node(), "load_before": os.getloadavg()[0], "calls": args.calls}
    with tempfile.TemporaryDirectory(prefix="fst-online-redis-") as tmp, \
            redis_cluster.running_cluster() as cluster:
        tmp = pathlib.Path(tmp)
        for name, store in (("rocksdb", "rocksdb"), ("redis", cluster.spec())):
            repo = tmp / name
            results[name] = {"materialize": prepare(repo, store),
                             "lookups": lookups(repo, args.calls)}
    results["load_after"] = os.getloadavg()[0]
    out = HERE / "results" / f"online-redis-{results['date'][:10]}-{results['host']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average (1 min) {results['load_before']:.1f} before, "
          f"{results['load_after']:.1f} after; {args.calls} calls per case; {out}")
    print("| case | entities | RocksDB p50 / p99 µs | Redis Cluster p50 / p99 µs |")
    print("|---|---:|---:|---:|")
    for rocks, redis in zip(results["rocksdb"]["lookups"], results["redis"]["lookups"]):
        print(f"| {rocks['case'].split('#')[0]} | {rocks['batch']} | "
              f"{rocks['p50_us']:.1f} / {rocks['p99_us']:.1f} | "
              f"{redis['p50_us']:.1f} / {redis['p99_us']:.1f} |")
    for name in ("rocksdb", "redis"):
        m = results[name]["materialize"]
        print(f"materialize into {name}: {m['keys']} keys in {m['seconds']} s, "
              f"{m['rows_per_s']} rows/s")


if __name__ == "__main__":
    main()
