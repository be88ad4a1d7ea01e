"""The feedback loop's benchmark (issue targets: `skew` >= 1M feature values compared per second
on 2 cores; `reproduce` of one request < 100 ms).

A repo with one entity, one source and one view of F int64 features (10k entities, one event
each), materialized; a feature log of N responses of one entity x F features, written in the
serving log's format (docs/impl.md "Feature log") with the values the online store serves, so
every value compares equal and the whole comparison runs. Times `featherstone skew` (the PIT
join of every logged request plus the comparison) and `featherstone reproduce` of one request,
`--repeat` times each; reports min/median wall seconds, values/s and the load average.

  .venv/bin/python bench/feedback_bench.py [--requests 100000] [--features 50] [--repeat 3]
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
KEYS = 10_000
EVENT_US = 1_767_225_600_000_000      # 2026-01-01: every entity's one event
SERVED_US = EVENT_US + 86_400_000_000  # a day later


def value(key, f):
    return key * 131 + f


def make_repo(base, features, fst):
    repo = base / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "data").mkdir(parents=True)
    cols = "\n".join(f"      - {{name: f{f}, type: int64}}" for f in range(features))
    feats = "\n".join(f"      - {{name: f{f}}}" for f in range(features))
    (repo / "featherstone.yaml").write_text(f"""project: feedback_bench
entities:
  - {{name: customer, join_keys: [customer_id]}}
sources:
  - name: events
    format: csv
    timestamp_field: event_ts
    schema:
      - {{name: customer_id, type: int64}}
{cols}
      - {{name: event_ts, type: timestamp}}
feature_views:
  - name: wide
    entities: [customer]
    source: events
    online: true
    features:
{feats}
feature_services:
  - name: model
    features: [{", ".join(f"wide:f{f}" for f in range(features))}]
""")
    with open(repo / "data" / "events.csv", "w") as out:
        out.write("customer_id," + ",".join(f"f{f}" for f in range(features)) + ",event_ts\n")
        for key in range(1, KEYS + 1):
            out.write(f"{key}," + ",".join(str(value(key, f)) for f in range(features)) +
                      f",{EVENT_US}\n")
    for args in (["apply"], ["ingest", "events", str(repo / "data" / "events.csv")],
                 ["materialize", "--end", str(SERVED_US)]):
        subprocess.run([fst, "-C", str(repo), *args], check=True, capture_output=True)
    return repo


def write_log(repo, requests, features, seed=7):
    rng = random.Random(seed)
    day = repo / ".featherstone" / "feature_log" / "2026-01-02"
    day.mkdir(parents=True, exist_ok=True)
    refs = [f"wide:f{f}" for f in range(features)]
    names = [f"f{f}" for f in range(features)]
    with open(day / "part-00001.jsonl", "w") as out:
        for i in range(requests):
            key = rng.randrange(1, KEYS + 1)
            served = SERVED_US + i
            out.write(json.dumps({
                "request_id": f"bench-{i:09d}", "served_at_us": served,
                "served_at": "2026-01-02T00:00:00Z", "at_us": served, "service": "model",
                "spec_hashes": {}, "features": refs, "feature_names": names,
                "entities": [{"customer_id": key}],
                "values": [[value(key, f) for f in range(features)]],
                "statuses": [["PRESENT"] * features],
                "event_timestamps_us": [[EVENT_US] * features]}, separators=(",", ":")) + "\n")


def timed(cmd, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {p.stderr}")
        out = p.stdout
    return times, out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default=str(ROOT / "bench" / "data" / "feedback"))
    parser.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    args = parser.parse_args()
    base = pathlib.Path(args.work)
    base.mkdir(parents=True, exist_ok=True)
    repo = make_repo(base, args.features, args.bin)
    write_log(repo, args.requests, args.features)
    load = os.getloadavg()[0]
    skew_times, out = timed([args.bin, "-C", str(repo), "skew", "--json"], args.repeat)
    report = json.loads(out)
    values = args.requests * args.features
    assert report["values"] == values and report["differing"] == 0, report
    rep_times, out = timed([args.bin, "-C", str(repo), "reproduce", "--request-id",
                            f"bench-{args.requests // 2:09d}"], args.repeat)
    assert "reproduced:" in out, out
    result = {
        "requests": args.requests, "features": args.features, "values": values,
        "skew_s": {"min": min(skew_times), "median": statistics.median(skew_times)},
        "skew_values_per_s": {"max": values / min(skew_times),
                              "median": values / statistics.median(skew_times)},
        "reproduce_s": {"min": min(rep_times), "median": statistics.median(rep_times)},
        "load_before": load, "load_after": os.getloadavg()[0], "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
