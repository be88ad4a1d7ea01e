"""Freshness and throughput of `featherstone stream` (issue 13) against a local Kafka broker.

Freshness: events are produced at a fixed rate (librdkafka's producer; each event carries the
wall-clock time it was handed to the producer) to a one-partition topic while one
`featherstone stream` worker consumes it with the online store refreshed after every
micro-batch. The worker's --batch-log says when each micro-batch was recorded and its events
became readable by an online lookup in that process (the RocksDB online store belongs to one
process, so no second process can look while the worker runs). Latency of an event = that
time - its produce time; reported as p50 / p99 / max per rate, with the events/s sustained.
After the run, `featherstone online` checks that the online counts equal the events produced.

Throughput: N events pre-produced, then one worker drains them (`--until-idle`), with the
online refresh and without it (`--offline-only`); events/s from its summary line.

    .venv/bin/python bench/stream_freshness.py                           # 1k, 5k, 20k ev/s
    .venv/bin/python bench/stream_freshness.py --rates 50000 --seconds 20 --drain 500000

The view: count, sum and avg of the amount over 1 d, 7 d and 30 d (9 features) over
--entities customers; a contract of 5 expectations. Writes
bench/results/stream-<date>-<host>.json and prints the markdown table for docs/benchmarks.md.
Uses the broker helper of the end-to-end tests (tests/e2e/kafka_broker.py).
"""
import argparse
import ctypes
import datetime as dt
import json
import os
import pathlib
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import kafka_broker  # noqa: E402

YAML = """\
project: bench
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
    kind: kafka
    format: json
    bootstrap_servers: {bootstrap}
    topic: {topic}
    timestamp_field: event_ts
    schema:
      - {{name: customer_id, type: int64}}
      - {{name: amount, type: float64, nullable: true}}
      - {{name: status, type: string, nullable: true}}
      - {{name: event_ts, type: timestamp}}
    contract:
      policy: quarantine
      breaker: {{threshold: 0.5, half_open_after: 10m}}
      expectations:
        - {{expect: not_null, column: customer_id}}
        - {{expect: between, column: customer_id, min: 1, max: 100000000}}
        - {{expect: between, column: amount, min: 0, max: 100000}}
        - {{expect: in_set, column: status, values: [new, paid, shipped], severity: warn}}
        - {{expect: null_rate_max, column: amount, max: 0.5}}
feature_views:
  - name: spend
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
{features}
"""


def features_yaml():
    lines = []
    for window in ("1d", "7d", "30d"):
        for agg in ("count", "sum", "avg"):
            lines.append(f"      - {{name: {agg}_{window}, agg: {agg}, column: amount, "
                         f"window: {window}}}")
    return "\n".join(lines)


class Producer:
    """librdkafka's producer through ctypes (the library the engine links): produce() hands a
    message over at once, as a client would (kcat reads its stdin in blocks, so it cannot
    produce at a fixed rate)."""

    def __init__(self, bootstrap, topic):
        lib = ctypes.CDLL("librdkafka.so.1")
        lib.rd_kafka_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_size_t]
        lib.rd_kafka_new.restype = ctypes.c_void_p
        lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.c_size_t]
        lib.rd_kafka_topic_new.restype = ctypes.c_void_p
        lib.rd_kafka_topic_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        lib.rd_kafka_produce.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int,
                                         ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                         ctypes.c_size_t, ctypes.c_void_p]
        lib.rd_kafka_poll.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.rd_kafka_flush.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.rd_kafka_topic_destroy.argtypes = [ctypes.c_void_p]
        lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
        self.lib = lib
        err = ctypes.create_string_buffer(512)
        conf = lib.rd_kafka_conf_new()
        for key, value in (("bootstrap.servers", bootstrap), ("linger.ms", "1"),
                           ("compression.codec", "none")):
            if lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), err, 512) != 0:
                raise SystemExit(f"librdkafka {key}: {err.value.decode()}")
        self.rk = lib.rd_kafka_new(0, conf, err, 512)  # RD_KAFKA_PRODUCER
        if not self.rk:
            raise SystemExit(f"librdkafka producer: {err.value.decode()}")
        self.rkt = lib.rd_kafka_topic_new(self.rk, topic.encode(), None)

    def produce(self, payload):
        data = payload.encode()
        while self.lib.rd_kafka_produce(self.rkt, 0, 2, data, len(data), None, 0, None) != 0:
            self.lib.rd_kafka_poll(self.rk, 10)  # queue full: serve deliveries, retry

    def poll(self):
        self.lib.rd_kafka_poll(self.rk, 0)

    def close(self):
        self.lib.rd_kafka_flush(self.rk, 30000)
        self.lib.rd_kafka_topic_destroy(self.rkt)
        self.lib.rd_kafka_destroy(self.rk)


def make_repo(binary, work, broker, topic):
    repo = work / f"repo-{topic}"
    repo.mkdir(parents=True)
    (repo / "featherstone.yaml").write_text(
        YAML.format(bootstrap=broker.bootstrap, topic=topic, features=features_yaml()))
    subprocess.run([binary, "-C", str(repo), "apply"], check=True, capture_output=True)
    return repo


def event(rng, entities, now_ms):
    return {"customer_id": rng.randrange(1, entities + 1), "amount": round(rng.uniform(1, 500), 2),
            "status": rng.choice(("new", "paid", "shipped")), "event_ts": now_ms}


def produced_times(broker, topic):
    """(partition, offset) -> produced_us of every message of `topic`."""
    p = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-e", "-q",
                        "-f", "%p\t%o\t%s\n"], capture_output=True, text=True, timeout=300,
                       check=True)
    out = {}
    for line in p.stdout.splitlines():
        part, offset, payload = line.split("\t", 2)
        out[(int(part), int(offset))] = json.loads(payload)["produced_us"]
    return out


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def batch_log(path):
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def freshness(binary, work, broker, rate, seconds, entities, batch_ms):
    topic = f"fresh-{rate}-{uuid.uuid4().hex[:6]}"
    broker.create_topic(topic, 1)
    repo = make_repo(binary, work, broker, topic)
    log = work / f"{topic}.batches.jsonl"
    worker = subprocess.Popen([binary, "-C", str(repo), "stream", "orders", "--batch-ms",
                               str(batch_ms), "--batch-log", str(log)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    producer = Producer(broker.bootstrap, topic)
    rng = random.Random(rate)
    sent = 0

    def send(n):
        nonlocal sent
        for _ in range(n):
            now_us = time.time_ns() // 1000
            e = event(rng, entities, now_us // 1000)
            e["produced_us"] = now_us
            producer.produce(json.dumps(e))
        producer.poll()
        sent += n

    # Warm-up: the worker has joined the group and written a micro-batch.
    send(100)
    if not wait_for(lambda: sum(b["events"] for b in batch_log(log)) >= 100, 60):
        worker.kill()
        raise SystemExit(f"the stream worker did not start:\n{worker.stderr.read()[-3000:]}")
    warm = sent
    load_before = os.getloadavg()
    start = time.monotonic()
    tick = 0.002
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        due = warm + int(rate * elapsed)
        if due > sent:
            send(due - sent)
        time.sleep(tick)
    producer.close()
    caught_up = wait_for(lambda: sum(b["events"] for b in batch_log(log)) >= sent, 120)
    load_after = os.getloadavg()
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    if worker.returncode != 0:
        raise SystemExit(f"the stream worker failed:\n{err[-3000:]}")

    produced = produced_times(broker, topic)
    latencies = []
    first_us, last_us = None, None
    for b in batch_log(log):
        for part, (lo, hi) in b["offsets"].items():
            for offset in range(lo, hi + 1):
                if offset < warm:
                    continue
                p_us = produced[(int(part), offset)]
                latencies.append((b["done_us"] - p_us) / 1000.0)
                first_us = p_us if first_us is None else min(first_us, p_us)
                last_us = b["done_us"] if last_us is None else max(last_us, b["done_us"])
    timed = sent - warm
    batches = [b for b in batch_log(log)]
    check = online_check(binary, repo, topic, broker)
    return {
        "rate": rate, "seconds": seconds, "events": timed, "caught_up": caught_up,
        "latency_ms": {"p50": percentile(latencies, 0.50), "p90": percentile(latencies, 0.90),
                       "p99": percentile(latencies, 0.99), "max": max(latencies)},
        "events_per_s": timed / ((last_us - first_us) / 1e6),
        "micro_batches": len(batches),
        "mean_batch_events": sum(b["events"] for b in batches) / max(len(batches), 1),
        "load_average_before": load_before, "load_average_after": load_after,
        "online_check": check, "summary": out.strip(),
    }


def online_check(binary, repo, topic, broker):
    """`featherstone online` after the run: count_30d of 20 customers equals their events."""
    counts = {}
    p = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-e", "-q",
                        "-f", "%s\n"], capture_output=True, text=True, timeout=300, check=True)
    for line in p.stdout.splitlines():
        c = json.loads(line)["customer_id"]
        counts[c] = counts.get(c, 0) + 1
    keys = sorted(counts)[:20]
    cmd = [binary, "-C", str(repo), "online", "--features", "spend:count_30d"]
    for k in keys:
        cmd += ["--entity", f"customer_id={k}"]
    got = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if got.returncode != 0:
        return {"ok": False, "error": got.stderr[-500:]}
    rows = json.loads(got.stdout)  # one object per entity, in order
    seen = {k: r.get("count_30d", r.get("spend__count_30d")) for k, r in zip(keys, rows)}
    ok = all(seen.get(k) == counts[k] for k in keys)
    return {"ok": ok, "keys": len(keys)}


def drain(binary, work, broker, events, entities, offline_only):
    topic = f"drain-{uuid.uuid4().hex[:6]}"
    broker.create_topic(topic, 1)
    repo = make_repo(binary, work, broker, topic)
    rng = random.Random(7)
    now_ms = int(time.time() * 1000)
    path = work / f"{topic}.jsonl"
    with open(path, "w") as f:
        for i in range(events):
            e = event(rng, entities, now_ms - rng.randrange(30 * 86400 * 1000))
            e["produced_us"] = 0
            f.write(json.dumps(e) + "\n")
    with open(path) as f:
        subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-z",
                        "none"], stdin=f, check=True, timeout=600)
    load_before = os.getloadavg()
    cmd = [binary, "-C", str(repo), "stream", "orders", "--until-idle", "2s"]
    if offline_only:
        cmd.append("--offline-only")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise SystemExit(f"stream failed:\n{p.stderr[-3000:]}")
    # "streamed N events ... (S s, R events/s)"
    summary = p.stdout.strip().splitlines()[-1]
    rate = float(summary.rsplit("s, ", 1)[1].split(" ")[0])
    return {"events": events, "offline_only": offline_only, "events_per_s": rate,
            "summary": summary, "load_average_before": load_before,
            "load_average_after": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    ap.add_argument("--rates", default="1000,5000,20000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--entities", type=int, default=10000)
    ap.add_argument("--batch-ms", type=int, default=10)
    ap.add_argument("--drain", type=int, default=200000, help="events for the throughput run")
    ap.add_argument("--work", default=None, help="folder for the broker and repos (temporary)")
    args = ap.parse_args()
    binary = str(pathlib.Path(args.bin).resolve())
    missing = kafka_broker.missing_tools()
    if missing:
        raise SystemExit(f"needs {', '.join(missing)} (scripts/setup installs them)")
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="fst-stream-bench-"))
    results = {"machine": {"hostname": socket.gethostname(), "platform": platform.platform(),
                           "cpus": os.cpu_count()},
               "command": " ".join(sys.argv), "freshness": [], "throughput": []}
    with kafka_broker.running_broker(work / "kafka") as broker:
        for rate in (int(r) for r in args.rates.split(",") if r):
            r = freshness(binary, work, broker, rate, args.seconds, args.entities, args.batch_ms)
            print(json.dumps(r), flush=True)
            results["freshness"].append(r)
        if args.drain > 0:
            for offline_only in (False, True):
                r = drain(binary, work, broker, args.drain, args.entities, offline_only)
                print(json.dumps(r), flush=True)
                results["throughput"].append(r)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    out = HERE / "results" / f"stream-{stamp}-{socket.gethostname()}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {out}\n")
    print("| rate (events/s) | sustained events/s | p50 ms | p99 ms | max ms | micro-batches "
          "| events/batch | load avg (1 min) | online check |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results["freshness"]:
        lat = r["latency_ms"]
        print(f"| {r['rate']:,} | {r['events_per_s']:,.0f} | {lat['p50']:.1f} | {lat['p99']:.1f} "
              f"| {lat['max']:.1f} | {r['micro_batches']} | {r['mean_batch_events']:.0f} "
              f"| {r['load_average_before'][0]:.1f} → {r['load_average_after'][0]:.1f} "
              f"| {'ok' if r['online_check'].get('ok') else 'FAILED'} |")
    for r in results["throughput"]:
        print(f"\ndrain {r['events']:,} events{' --offline-only' if r['offline_only'] else ''}: "
              f"{r['events_per_s']:,.0f} events/s (load {r['load_average_before'][0]:.1f})")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
