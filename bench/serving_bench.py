#!/usr/bin/env python3
"""Serving benchmark (issue 12, "Performance"): `featherstone serve` against Feast's feature
server (`feast serve`) on the feast-benchmarks workload, in one run.

    scripts/bench --serving                                    # everything below, 3 repeats
    .bench-venv/bin/python bench/serving_bench.py --repeat 1 --duration 5 --no-open-loop
    .bench-venv/bin/python bench/serving_bench.py --report bench/results/serving-....json

Workload: one entity (customer_id, 10,000 keys), one Parquet source of 250 int64 columns
feeding 25 feature views of 10 features each (as feast-benchmarks defines its repo), feature
services `svc50` (views 0-4) and `svc250` (all 25); requests of 1 and 100 entities, Feast's
body `{"feature_service": ..., "entities": {"customer_id": [...]}}` with keys drawn uniformly.
The same file goes through `featherstone apply / ingest / materialize` and `feast apply /
materialize` (SQLite online store); a gate checks that both servers return the generator's
values (and NOT_FOUND for an unknown key) before anything is timed.

Throughput: the server pinned to core 0 (`taskset -c 0`; Featherstone `--threads 1`, Feast
`--workers 1`), wrk pinned to core 1 (`wrk -t1 -cN -d10s`, bench/serving_wrk.lua, which
prepares 1000 bodies before the run and prints p50/p90/p99/p99.9 from its `done` hook).
Featherstone runs with the feature log on (the default) and with `--no-feature-log`,
alternating per repeat; a fresh server per repeat and mode (its feature log wiped between).
Latency at fixed rates (open loop, so slow answers do not slow the sender): vegeta, when
installed (`go install github.com/tsenart/vegeta/v12@v12.13.0`; scripts/bench does), on core 1.

The machine may be shared: timing starts once the 1-minute load average is at most --max-load,
and each run starts once other processes keep at most --max-other cores busy (a 2-second
sample with the server idle); both wait in 30-second polls, at most --max-wait seconds over the
whole benchmark, and each run records the load it ran at either way, and the cores the server,
the load generator and everything else used while it ran. Writes bench/results/serving-<date>-<host>.json and the "Serving" section
of docs/benchmarks.md (between the serving markers, inside the block bench/report.py keeps).
Exit status 1 when the gate fails or a run saw errors.
"""
import argparse
import base64
import csv
import datetime as dt
import http.client
import json
import os
import pathlib
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "serving_wrk.lua"
DOC = ROOT / "docs" / "benchmarks.md"
PROFILE_END = "<!-- profile:end -->"
SERVING_BEGIN = "<!-- serving:begin (written by bench/serving_bench.py) -->"
SERVING_END = "<!-- serving:end -->"

ENTITIES = 10_000
VIEWS = 25
PER_VIEW = 10
SERVICES = {"svc50": 5, "svc250": 25}          # service -> number of views (10 features each)
EVENT_TS = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
TTL_DAYS = 3650
CASES = [(1, "svc50"), (1, "svc250"), (100, "svc50"), (100, "svc250")]
FEAST_CASES = [(1, "svc50"), (100, "svc50")]
SERVER_CORE = "0"
LOAD_CORE = "1"
# feast serve: the production flags of Feast's feature-server docs (--worker-connections 1000,
# a long --registry_ttl_sec, no access log) with one worker (one core, as Featherstone's one
# thread) and worker recycling off (--max-requests 0: the default of 1000 would restart the
# only worker, and stall the server, every thousand requests).
VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"   # what scripts/bench installs
FEAST_SERVE_FLAGS = ["--workers", "1", "--worker-connections", "1000", "--registry_ttl_sec",
                     "3600", "--no-access-log", "--max-requests", "0"]


def log(msg=""):
    print(msg, flush=True)


def value(key, feature):
    """The generator's value of feature_<feature> for customer_id key."""
    return (key * 7919 + feature * 104729) % 1_000_003


def feature_names(service):
    return [f"feature_{i}" for i in range(SERVICES[service] * PER_VIEW)]


# ------------------------------------------------------------------------------------ data

def generate(path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    keys = list(range(ENTITIES))
    ts = pa.array([EVENT_TS] * ENTITIES, pa.timestamp("us", tz="UTC"))
    cols = {"customer_id": pa.array(keys, pa.int64())}
    for f in range(VIEWS * PER_VIEW):
        cols[f"feature_{f}"] = pa.array([value(k, f) for k in keys], pa.int64())
    cols["event_ts"] = ts
    cols["created_ts"] = ts
    pq.write_table(pa.table(cols), path)


def fst_yaml():
    schema = ["      - {name: customer_id, type: int64}"]
    schema += [f"      - {{name: feature_{f}, type: int64}}" for f in range(VIEWS * PER_VIEW)]
    schema += ["      - {name: event_ts, type: timestamp}",
               "      - {name: created_ts, type: timestamp}"]
    views = []
    for v in range(VIEWS):
        feats = "\n".join(f"      - {{name: feature_{f}}}"
                          for f in range(v * PER_VIEW, (v + 1) * PER_VIEW))
        views.append(f"  - name: view_{v:02d}\n    entities: [customer]\n    source: events\n"
                     f"    ttl: {TTL_DAYS}d\n    online: true\n    features:\n{feats}")
    services = []
    for name, n in SERVICES.items():
        refs = ", ".join(f"view_{f // PER_VIEW:02d}:feature_{f}" for f in range(n * PER_VIEW))
        services.append(f"  - name: {name}\n    features: [{refs}]")
    return ("# Generated by bench/serving_bench.py: the feast-benchmarks serving workload, one\n"
            "# source of 250 int64 columns feeding 25 views of 10 features.\n"
            "project: serving_bench\n"
            "entities:\n  - name: customer\n    join_keys: [customer_id]\n"
            "sources:\n  - name: events\n    kind: file\n    format: parquet\n"
            "    timestamp_field: event_ts\n    created_timestamp_field: created_ts\n"
            "    schema:\n" + "\n".join(schema) + "\n"
            "feature_views:\n" + "\n".join(views) + "\n"
            "feature_services:\n" + "\n".join(services) + "\n")


FEAST_REPO = '''\
# Generated by bench/serving_bench.py: the feast-benchmarks serving workload.
from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Int64

customer = Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.INT64)
source = FileSource(name="events", path={path!r}, timestamp_field="event_ts",
                    created_timestamp_column="created_ts")


def view(v):
    return FeatureView(name=f"view_{{v:02d}}", entities=[customer], ttl=timedelta(days={ttl}),
                       schema=[Field(name=f"feature_{{f}}", dtype=Int64)
                               for f in range(v * {per_view}, (v + 1) * {per_view})],
                       source=source, online=True)


# feast apply registers the module's top-level objects only: one name per view.
{view_lines}
views = [{view_names}]
{services}
'''


def feast_env():
    return dict(os.environ, FEAST_USAGE="False", PYTHONUNBUFFERED="1")


def run(cmd, cwd=None, env=None, timeout=1800):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def build_repos(work, binary, feast_bin, with_feast):
    data = work / "features.parquet"
    t0 = time.perf_counter()
    generate(data)
    log(f"  generated {data} ({ENTITIES:,} keys × {VIEWS * PER_VIEW} features) "
        f"in {time.perf_counter() - t0:.1f} s")
    fst = work / "featherstone"
    shutil.rmtree(fst, ignore_errors=True)
    fst.mkdir(parents=True)
    (fst / "featherstone.yaml").write_text(fst_yaml())
    end = (EVENT_TS + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    t0 = time.perf_counter()
    run([binary, "-C", fst, "apply"])
    run([binary, "-C", fst, "ingest", "events", data])
    run([binary, "-C", fst, "materialize", "--end", end])
    log(f"  featherstone apply + ingest + materialize: {time.perf_counter() - t0:.1f} s")
    feast = work / "feast"
    if with_feast:
        shutil.rmtree(feast, ignore_errors=True)
        feast.mkdir(parents=True)
        (feast / "feature_store.yaml").write_text(
            f"project: serving_bench\nregistry: {feast / 'registry.db'}\nprovider: local\n"
            f"online_store:\n  type: sqlite\n  path: {feast / 'online.db'}\n"
            "offline_store:\n  type: file\nentity_key_serialization_version: 3\n")
        services = "\n".join(f'{name} = FeatureService(name="{name}", features=views[:{n}])'
                             for name, n in SERVICES.items())
        (feast / "repo.py").write_text(FEAST_REPO.format(
            path=str(data), ttl=TTL_DAYS, per_view=PER_VIEW, services=services,
            view_lines="\n".join(f"view_{v:02d} = view({v})" for v in range(VIEWS)),
            view_names=", ".join(f"view_{v:02d}" for v in range(VIEWS))))
        start = (EVENT_TS - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        t0 = time.perf_counter()
        run([feast_bin, "apply"], cwd=feast, env=feast_env())
        run([feast_bin, "materialize", start, end[:-1]], cwd=feast, env=feast_env())
        log(f"  feast apply + materialize: {time.perf_counter() - t0:.1f} s")
    return fst, feast


# ---------------------------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


class Server:
    """A server process pinned to SERVER_CORE, in its own process group."""

    def __init__(self, name, cmd, port, log_path, cwd=None, env=None, start_timeout=180):
        self.name, self.port = name, port
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE] + [str(c) for c in cmd],
                                     cwd=cwd, env=env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited {self.proc.returncode} at start; see {log_path}")
            try:
                if call(port, "GET", "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not answer /health in {start_timeout} s")
            time.sleep(0.2)

    def metric(self, name):
        """Sum of a Prometheus metric's samples (Featherstone's /metrics), or None."""
        try:
            status, text = call(self.port, "GET", "/metrics")
        except OSError:
            return None
        if status != 200:
            return None
        total, seen = 0.0, False
        for line in text.splitlines():
            if line.startswith(name) and line[len(name):len(name) + 1] in (" ", "{"):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else None

    def stop(self, timeout=180):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


def featherstone_server(binary, repo, feature_log, log_path):
    port = free_port()
    cmd = [binary, "-C", repo, "serve", "--port", port, "--threads", 1]
    if not feature_log:
        cmd.append("--no-feature-log")
    return Server("featherstone" + ("" if feature_log else " --no-feature-log"), cmd, port,
                  log_path)


def feast_server(feast_bin, repo, log_path):
    port = free_port()
    return Server("feast", [feast_bin, "serve", "--port", port] + FEAST_SERVE_FLAGS, port,
                  log_path, cwd=repo, env=feast_env(), start_timeout=300)


# ------------------------------------------------------------------------------------- gate

def response_values(text):
    """{feature name: ([values as int or None], [statuses])} of a Feast-shaped response."""
    body = json.loads(text)
    out = {}
    for name, res in zip(body["metadata"]["feature_names"], body["results"]):
        name = name.split("__")[-1].split(":")[-1]
        vals = [None if v is None else int(v) for v in res["values"]]
        out[name] = (vals, res.get("statuses"))
    return out


def gate(server, seed):
    """Both services for a few random keys and one unknown key: the generator's values,
    PRESENT, and null with NOT_FOUND for the unknown one."""
    rng = random.Random(seed)
    keys = rng.sample(range(ENTITIES), 20) + [ENTITIES + 7]
    problems, checked = [], 0
    for service in SERVICES:
        status, text = call(server.port, "POST", "/get-online-features",
                            {"feature_service": service, "entities": {"customer_id": keys}})
        if status != 200:
            problems.append(f"{service}: HTTP {status}: {text[:300]}")
            continue
        got = response_values(text)
        for f, name in enumerate(feature_names(service)):
            if name not in got:
                problems.append(f"{service}: no {name} in the response")
                continue
            vals, statuses = got[name]
            for i, k in enumerate(keys):
                known = k < ENTITIES
                want = value(k, f) if known else None
                want_status = "PRESENT" if known else "NOT_FOUND"
                checked += 1
                if vals[i] != want or (statuses and statuses[i] != want_status):
                    problems.append(f"{service} {name} customer_id={k}: got {vals[i]} "
                                    f"{statuses[i] if statuses else ''}, want {want} "
                                    f"{want_status}")
    return {"system": server.name, "ok": not problems, "values_checked": checked,
            "problems": problems[:10]}


# ------------------------------------------------------------------------------------- load

def cpu_busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid):
    """CPU seconds of the live processes of process group pgid (a server and its workers)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class LoadGate:
    """Waits for a quiet machine, within one budget of waiting for the whole benchmark: before
    timing starts, until the 1-minute load average is at most max_load; before each run, until
    other processes use at most max_other cores over a 2-second sample (the benchmark's own
    runs raise the load average, so that is no per-run signal)."""

    def __init__(self, max_load, max_other, max_wait):
        self.max_load, self.max_other = max_load, max_other
        self.budget, self.waited = max_wait, 0.0

    def _sleep(self, why):
        log(f"    {why}: waiting 30 s ({self.waited:.0f}/{self.budget:.0f} s of waiting used)")
        time.sleep(30)
        self.waited += 30

    def before_start(self):
        load = os.getloadavg()[0]
        while load > self.max_load and self.waited < self.budget:
            self._sleep(f"1-minute load {load:.2f} > {self.max_load}")
            load = os.getloadavg()[0]
        return load

    def before_run(self, server_pgid):
        settle(server_pgid)
        other = other_cores(server_pgid)
        while other > self.max_other and self.waited < self.budget:
            self._sleep(f"other work {other:.2f} cores > {self.max_other}")
            other = other_cores(server_pgid)
        return os.getloadavg()[0], other


def settle(server_pgid, timeout=120):
    """Waits until the server is idle: a closed-loop run at 50 connections leaves requests
    queued in a slow server, which it goes on answering after the load generator has left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu0 = group_cpu_seconds(server_pgid)
        time.sleep(0.5)
        if group_cpu_seconds(server_pgid) - cpu0 < 0.05:
            return


def other_cores(server_pgid, seconds=2.0):
    """Cores kept busy by other processes over a short sample, the server idle."""
    busy0, srv0, own0 = cpu_busy_seconds(), group_cpu_seconds(server_pgid), own_cpu()
    time.sleep(seconds)
    used = (cpu_busy_seconds() - busy0 - (group_cpu_seconds(server_pgid) - srv0)
            - (own_cpu() - own0))
    return max(0.0, used / seconds)


def own_cpu():
    """CPU seconds of this process and its finished children (wrk, vegeta)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def wrk(port, service, per_request, connections, duration, seed):
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
           "--timeout", "10s", "--latency", "-s", str(LUA),
           f"http://127.0.0.1:{port}/get-online-features", "--",
           service, str(per_request), str(ENTITIES), str(seed)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    for line in p.stdout.splitlines():
        if line.startswith("SERVING_RESULT "):
            r = json.loads(line.split(" ", 1)[1])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            r["error_count"] = sum(r["errors"].values())
            return r
    raise RuntimeError(f"wrk printed no result (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")


def vegeta_targets(path, port, service, per_request, seed, count=1000):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(count):
            body = json.dumps({"feature_service": service, "entities": {
                "customer_id": [rng.randrange(ENTITIES) for _ in range(per_request)]}})
            f.write(json.dumps({
                "method": "POST", "url": f"http://127.0.0.1:{port}/get-online-features",
                "header": {"Content-Type": ["application/json"]},
                "body": base64.b64encode(body.encode()).decode()}) + "\n")


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def vegeta(vegeta_bin, work, port, service, per_request, rate, duration, seed):
    targets = work / "targets.jsonl"
    out = work / "vegeta.bin"
    vegeta_targets(targets, port, service, per_request, seed)
    subprocess.run(["taskset", "-c", LOAD_CORE, vegeta_bin, "attack", "-format=json",
                    f"-targets={targets}", f"-rate={rate}/s", f"-duration={duration}s",
                    "-timeout=10s", f"-output={out}"], check=True, timeout=duration + 120,
                   capture_output=True)
    enc = subprocess.run([vegeta_bin, "encode", "-to", "csv", str(out)], check=True,
                         capture_output=True, text=True, timeout=300).stdout
    lat, codes, first, last = [], {}, None, None
    for row in csv.reader(enc.splitlines()):
        ts, code, latency_ns = int(row[0]), row[1], int(row[2])
        codes[code] = codes.get(code, 0) + 1
        lat.append(latency_ns / 1000)
        first = ts if first is None else min(first, ts)
        last = ts if last is None else max(last, ts)
    lat.sort()
    sent_seconds = (last - first) / 1e9 if lat and last > first else duration
    return {"rate": rate, "requests": len(lat), "sent_rate": len(lat) / sent_seconds,
            "codes": codes, "error_count": sum(n for c, n in codes.items() if c != "200"),
            "latency_us": {"p50": percentile(lat, 50), "p90": percentile(lat, 90),
                           "p99": percentile(lat, 99), "p99.9": percentile(lat, 99.9),
                           "max": lat[-1] if lat else None}}


# ------------------------------------------------------------------------------ the runs

def case_name(per_request, service):
    return f"{per_request} × {SERVICES[service] * PER_VIEW}"


def timed(results, load, server, system, feature_log, per_request, service, connections, rep,
          args):
    before, other_before = load.before_run(server.proc.pid)
    written0 = server.metric("fst_feature_log_records_written_total")
    dropped0 = server.metric("fst_feature_log_records_dropped_total")
    busy0, server0, self0 = cpu_busy_seconds(), group_cpu_seconds(server.proc.pid), own_cpu()
    wall0 = time.monotonic()
    r = wrk(server.port, service, per_request, connections, args.duration,
            args.seed + rep)
    wall = time.monotonic() - wall0
    server_cpu = group_cpu_seconds(server.proc.pid) - server0
    own = own_cpu() - self0
    r["cpu_cores"] = {"server": round(server_cpu / wall, 2), "load_generator": round(own / wall, 2),
                      "other": round(max(0.0, cpu_busy_seconds() - busy0 - server_cpu - own)
                                     / wall, 2)}
    entry = {"system": system, "feature_log": feature_log, "entities": per_request,
             "features": SERVICES[service] * PER_VIEW, "service": service,
             "connections": connections, "repeat": rep, "load_1m_before": round(before, 2),
             "other_cores_before": round(other_before, 2), "load_1m_after": round(os.getloadavg()[0], 2), **r}
    if written0 is not None:
        entry["feature_log_records_written"] = \
            server.metric("fst_feature_log_records_written_total") - written0
        entry["feature_log_records_dropped"] = \
            server.metric("fst_feature_log_records_dropped_total") - (dropped0 or 0)
    results.append(entry)
    extra = ""
    if feature_log and "feature_log_records_dropped" in entry:
        extra = (f", log {entry['feature_log_records_written']:,.0f} written "
                 f"{entry['feature_log_records_dropped']:,.0f} dropped")
    log(f"    {system:<12} log {'on ' if feature_log else 'off'} "
        f"{case_name(per_request, service):<9} c={connections:<3} #{rep}: "
        f"{r['rps']:>9,.0f} req/s  p50 {r['latency_us']['p50']:>6} µs  "
        f"p99 {r['latency_us']['p99']:>7} µs  p99.9 {r['latency_us']['p99.9']:>7} µs  "
        f"errors {r['error_count']}  load {before:.2f} "
        f"other work {r['cpu_cores']['other']:.2f} cores{extra}")
    return entry


def run_featherstone(args, binary, repo, work, load, results, open_loop, vegeta_bin):
    log_dir = repo / ".featherstone" / "feature_log"
    for rep in range(1, args.repeat + 1):
        modes = [True, False] if rep % 2 else [False, True]
        for feature_log in modes:
            shutil.rmtree(log_dir, ignore_errors=True)
            server = featherstone_server(binary, repo, feature_log, work / "featherstone.log")
            try:
                if rep == 1:
                    for per_request, service in CASES:   # warm-up, discarded
                        wrk(server.port, service, per_request, 50, 2, args.seed)
                for per_request, service in CASES:
                    for c in args.connections:
                        timed(results, load, server, "featherstone", feature_log, per_request,
                              service, c, rep, args)
                if feature_log and vegeta_bin:
                    for rate in args.rates:
                        before, _ = load.before_run(server.proc.pid)
                        r = vegeta(vegeta_bin, work, server.port, "svc50", 1, rate,
                                   args.duration, args.seed + rep)
                        r.update(system="featherstone", feature_log=True, entities=1,
                                 features=50, repeat=rep, load_1m_before=round(before, 2))
                        open_loop.append(r)
                        log(f"    open loop featherstone 1 × 50 at {rate}/s #{rep}: sent "
                            f"{r['sent_rate']:,.0f}/s p50 {r['latency_us']['p50']:.0f} µs "
                            f"p99 {r['latency_us']['p99']:.0f} µs p99.9 "
                            f"{r['latency_us']['p99.9']:.0f} µs errors {r['error_count']} "
                            f"load {before:.2f}")
            finally:
                code = server.stop()
                if code != 0:
                    log(f"    featherstone server exited {code} on SIGTERM")
        shutil.rmtree(log_dir, ignore_errors=True)


def run_feast(args, feast_bin, repo, work, load, results, open_loop, vegeta_bin):
    server = feast_server(feast_bin, repo, work / "feast.log")
    try:
        for per_request, service in FEAST_CASES:    # warm-up, discarded
            wrk(server.port, service, per_request, 1, 2, args.seed)
        for rep in range(1, args.repeat + 1):
            for per_request, service in FEAST_CASES:
                for c in args.connections:
                    timed(results, load, server, "feast", None, per_request, service, c, rep,
                          args)
            if vegeta_bin:
                for rate in args.feast_rates:
                    before, _ = load.before_run(server.proc.pid)
                    r = vegeta(vegeta_bin, work, server.port, "svc50", 1, rate, args.duration,
                               args.seed + rep)
                    r.update(system="feast", feature_log=None, entities=1, features=50,
                             repeat=rep, load_1m_before=round(before, 2))
                    open_loop.append(r)
                    log(f"    open loop feast 1 × 50 at {rate}/s #{rep}: sent "
                        f"{r['sent_rate']:,.0f}/s p50 {r['latency_us']['p50']:.0f} µs "
                        f"p99 {r['latency_us']['p99']:.0f} µs errors {r['error_count']} "
                        f"load {before:.2f}")
    finally:
        server.stop(timeout=60)


# ---------------------------------------------------------------------------------- report

def summarize(results, open_loop):
    groups = {}
    for r in results:
        key = (r["system"], r["feature_log"], r["entities"], r["features"], r["connections"])
        groups.setdefault(key, []).append(r)
    rows = []
    for key, rs in groups.items():
        rps = [r["rps"] for r in rs]
        row = dict(zip(("system", "feature_log", "entities", "features", "connections"), key))
        row.update(runs=len(rs), rps_median=statistics.median(rps), rps_min=min(rps),
                   rps_max=max(rps), errors=sum(r["error_count"] for r in rs),
                   load_1m=[r["load_1m_before"] for r in rs],
                   other_cores=[r["cpu_cores"]["other"] for r in rs],
                   server_cores_median=statistics.median(r["cpu_cores"]["server"] for r in rs),
                   server_cpu_us_per_request=statistics.median(
                       r["cpu_cores"]["server"] * 1e6 / r["rps"] for r in rs if r["rps"] > 0)
                   if any(r["rps"] > 0 for r in rs) else None)
        for p in ("p50", "p90", "p99", "p99.9"):
            vals = [r["latency_us"][p] for r in rs]
            row[p + "_median"] = statistics.median(vals)
            row[p + "_min"] = min(vals)
        if any("feature_log_records_dropped" in r for r in rs):
            row["feature_log_records_written"] = sum(r.get("feature_log_records_written", 0)
                                                     for r in rs)
            row["feature_log_records_dropped"] = sum(r.get("feature_log_records_dropped", 0)
                                                     for r in rs)
        rows.append(row)
    ol = {}
    for r in open_loop:
        ol.setdefault((r["system"], r["rate"]), []).append(r)
    ol_rows = []
    for (system, rate), rs in ol.items():
        row = {"system": system, "rate": rate, "runs": len(rs),
               "sent_rate_median": statistics.median(r["sent_rate"] for r in rs),
               "errors": sum(r["error_count"] for r in rs),
               "load_1m": [r["load_1m_before"] for r in rs]}
        for p in ("p50", "p90", "p99", "p99.9"):
            row[p + "_median"] = statistics.median(r["latency_us"][p] for r in rs)
        ol_rows.append(row)
    return rows, ol_rows


def find(rows, system, feature_log, entities, features, connections):
    for r in rows:
        if (r["system"], r["feature_log"], r["entities"], r["features"],
                r["connections"]) == (system, feature_log, entities, features, connections):
            return r
    return None


def us(v):
    if v is None:
        return "–"
    return f"{v / 1000:,.1f} ms" if v >= 10_000 else f"{v:,.0f} µs"


def render(doc):
    rows, ol_rows = doc["summary"], doc["open_loop_summary"]
    m = doc["machine"]
    out = [SERVING_BEGIN, "## Serving: `featherstone serve` against `feast serve`", "",
           f"Generated by `bench/serving_bench.py` (`{doc['command']}`) into "
           f"`bench/results/{doc['file']}`, run {doc['started']} on {m.get('cpu', '?')}, "
           f"{m.get('logical_cpus')} logical CPUs, host `{m.get('hostname')}`; Featherstone "
           f"{doc['versions'].get('featherstone')}, Feast {doc['versions'].get('feast')}, "
           f"wrk {doc['versions'].get('wrk')}, vegeta {doc['versions'].get('vegeta') or 'not used'}.",
           "",
           "The feast-benchmarks workload: 10,000 customer_id keys, one Parquet source of 250 "
           "int64 columns feeding 25 views of 10 features, services `svc50` (5 views) and "
           "`svc250` (all 25); each request names a service and 1 or 100 keys drawn uniformly "
           "(Feast's body, `{\"feature_service\": \"svc50\", \"entities\": {\"customer_id\": "
           "[...]}}`). The server is pinned to core 0 (Featherstone `serve --threads 1`, "
           f"Feast `feast serve {' '.join(FEAST_SERVE_FLAGS)}`, its SQLite online store), the "
           f"load generator to core 1: `wrk -t1 -cN -d{doc['settings']['duration']}s` with "
           "`bench/serving_wrk.lua` (1000 bodies prepared before the run; percentiles from "
           "wrk's `done` hook). A gate checked both servers' values against the generator "
           f"first ({'passed' if all(g['ok'] for g in doc['gate']) else 'FAILED'}: "
           + ", ".join(f"{g['system']} {g['values_checked']:,} values" for g in doc['gate'])
           + f"). {doc['settings']['repeat']} runs per row (Featherstone: a fresh server per "
           "run, feature log on and off alternating); req/s is the median (min–max), "
           "latencies the median of the runs' percentiles. wrk is closed-loop: each "
           "connection sends its next request when the answer arrives.", "",
           "| system | feature log | entities × features | connections | req/s | p50 | p99 "
           "| p99.9 | errors | server CPU (cores) | server CPU per request | other work (cores) "
           "| 1-min load |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {"featherstone": 0, "feast": 1}
    for r in sorted(rows, key=lambda r: (r["entities"], r["features"], r["connections"],
                                         order.get(r["system"], 2), not r["feature_log"])):
        flag = {True: "on", False: "off", None: "–"}[r["feature_log"]]
        dropped = ""
        if r.get("feature_log_records_dropped"):
            dropped = f" ({r['feature_log_records_dropped']:,.0f} log records dropped)"
        out.append(f"| {r['system']} | {flag} | {r['entities']} × {r['features']} | "
                   f"{r['connections']} | {r['rps_median']:,.0f} ({r['rps_min']:,.0f}–"
                   f"{r['rps_max']:,.0f}) | {us(r['p50_median'])} | {us(r['p99_median'])} | "
                   f"{us(r['p99.9_median'])} | {r['errors']}{dropped} | "
                   f"{r['server_cores_median']:.2f} | {us(r['server_cpu_us_per_request'])} | "
                   f"{min(r['other_cores']):.2f}–"
                   f"{max(r['other_cores']):.2f} | "
                   f"{min(r['load_1m']):.1f}–{max(r['load_1m']):.1f} |")
    out += ["", "Ratios (medians; same case and connections):", "",
            "| entities × features | connections | Featherstone req/s ÷ Feast's | Feast p99 ÷ "
            "Featherstone's | Feast CPU per request ÷ Featherstone's | feature log: req/s lost "
            "(1 − on ÷ off) | feature log: CPU per request added |",
            "|---|---|---|---|---|---|---|"]
    for entities, service in CASES:
        features = SERVICES[service] * PER_VIEW
        for c in doc["settings"]["connections"]:
            on = find(rows, "featherstone", True, entities, features, c)
            off = find(rows, "featherstone", False, entities, features, c)
            fe = find(rows, "feast", None, entities, features, c)
            if not on:
                continue
            ok = fe and fe["rps_median"] > 0 and on["p99_median"] > 0
            thr = f"{on['rps_median'] / fe['rps_median']:,.0f}×" if ok else "–"
            p99 = f"{fe['p99_median'] / on['p99_median']:,.0f}×" if ok else "–"
            cost = f"{(1 - on['rps_median'] / off['rps_median']) * 100:+.1f}%" if off else "–"
            cpu = (f"{fe['server_cpu_us_per_request'] / on['server_cpu_us_per_request']:,.0f}×"
                   if ok and fe["server_cpu_us_per_request"] else "–")
            cpu_cost = "–"
            if off and off["server_cpu_us_per_request"]:
                added = on["server_cpu_us_per_request"] / off["server_cpu_us_per_request"] - 1
                cpu_cost = f"{added * 100:+.1f}%"
            out.append(f"| {entities} × {features} | {c} | {thr} | {p99} | {cpu} | {cost} | "
                       f"{cpu_cost} |")
    if ol_rows:
        out += ["", "Latency at fixed rates (open loop: vegeta on core 1 sends at the rate "
                "whatever the answers do; 1 entity × 50 features, Featherstone with its "
                "feature log on):", "",
                "| system | rate (req/s) | sent (req/s) | p50 | p90 | p99 | p99.9 | errors | "
                "1-min load before |", "|---|---|---|---|---|---|---|---|---|"]
        for r in sorted(ol_rows, key=lambda r: (order.get(r["system"], 2), r["rate"])):
            out.append(f"| {r['system']} | {r['rate']:,} | {r['sent_rate_median']:,.0f} | "
                       f"{us(r['p50_median'])} | {us(r['p90_median'])} | {us(r['p99_median'])} "
                       f"| {us(r['p99.9_median'])} | {r['errors']} | "
                       f"{min(r['load_1m']):.1f}–{max(r['load_1m']):.1f} |")
    else:
        out += ["", "No open-loop run: vegeta was not installed."]
    if doc.get("notes"):
        out += [""] + [f"- {n}" for n in doc["notes"]]
    out += [SERVING_END]
    return "\n".join(out)


def write_doc(doc):
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    section = render(doc)
    if SERVING_BEGIN in text and SERVING_END in text:
        head, rest = text.split(SERVING_BEGIN, 1)
        text = head + section + rest.split(SERVING_END, 1)[1]
    elif PROFILE_END in text:
        # Inside the block bench/report.py keeps, so that regenerating the other tables
        # leaves this section alone.
        head, tail = text.rsplit(PROFILE_END, 1)
        text = head.rstrip("\n") + "\n\n" + section + "\n" + PROFILE_END + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def machine_info():
    info = {"hostname": socket.gethostname(), "platform": platform.platform(),
            "python": platform.python_version(), "logical_cpus": os.cpu_count()}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == "Model name":
                info["cpu"] = v.strip()
    except OSError:
        pass
    return info


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def wait_for_binary(path, timeout=600):
    deadline = time.monotonic() + timeout
    while not os.access(path, os.X_OK):
        if time.monotonic() > deadline:
            sys.exit(f"{path} is missing (build it with scripts/build or cmake --preset release)")
        log(f"  waiting for {path} (being rebuilt?)")
        time.sleep(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10, help="seconds per timed run")
    ap.add_argument("--connections", default="1,50")
    ap.add_argument("--rates", default="1000,5000,10000",
                    help="open-loop rates for Featherstone (req/s)")
    ap.add_argument("--feast-rates", default="25,50,100", help="open-loop rates for Feast")
    ap.add_argument("--no-feast", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the repos of an earlier run (bench/data/serving) as they are")
    ap.add_argument("--no-open-loop", action="store_true")
    ap.add_argument("--max-load", type=float, default=2.0,
                    help="wait before a run while the 1-minute load average is above this")
    ap.add_argument("--max-other", type=float, default=0.5,
                    help="wait before a run while other processes keep more cores busy")
    ap.add_argument("--max-wait", type=float, default=600,
                    help="seconds of waiting for a quiet machine allowed over the whole run")
    ap.add_argument("--seed", type=int, default=20251212)
    ap.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    ap.add_argument("--feast", default=str(pathlib.Path(sys.executable).parent / "feast"),
                    help="the feast command (default: beside this python)")
    ap.add_argument("--vegeta", default=shutil.which("vegeta")
                    or str(BENCH / "data" / "bin" / "vegeta"))
    ap.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    ap.add_argument("--report", metavar="RESULTS_JSON",
                    help="only rewrite the Serving section from a results file (its \"notes\" "
                         "list, written by hand, goes under the tables)")
    args = ap.parse_args()
    if args.report:
        doc = json.loads(pathlib.Path(args.report).read_text())
        doc["summary"], doc["open_loop_summary"] = summarize(doc["runs"], doc["open_loop"])
        write_doc(doc)
        log(f"wrote the Serving section of {DOC} from {args.report}")
        return
    args.connections = [int(c) for c in args.connections.split(",")]
    args.rates = [int(r) for r in args.rates.split(",")]
    args.feast_rates = [int(r) for r in args.feast_rates.split(",")]
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk; scripts/bench --serving does)")
    vegeta_bin = None if args.no_open_loop or not os.access(args.vegeta, os.X_OK) else args.vegeta
    with_feast = not args.no_feast
    if with_feast and not os.access(args.feast, os.X_OK):
        sys.exit(f"{args.feast} not found: run with .bench-venv/bin/python (scripts/bench)")

    started = dt.datetime.now(dt.timezone.utc)
    work = BENCH / "data" / "serving"
    work.mkdir(parents=True, exist_ok=True)
    wait_for_binary(args.bin)
    binary = work / "bin" / "featherstone"   # a private copy: a rebuild cannot swap it mid-run
    binary.parent.mkdir(exist_ok=True)
    shutil.copy2(args.bin, binary)
    log(f"==> serving benchmark; machine {machine_info().get('cpu')}, load "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    log("==> data and repos")
    if args.reuse and (work / "featherstone" / ".featherstone").is_dir() and \
            (not with_feast or (work / "feast" / "online.db").is_file()):
        fst_repo, feast_repo = work / "featherstone", work / "feast"
        log("  reusing the repos in " + str(work))
    else:
        fst_repo, feast_repo = build_repos(work, binary, args.feast, with_feast)

    log("==> gate: the generator's values from each server")
    gates = []
    server = featherstone_server(binary, fst_repo, False, work / "featherstone.log")
    try:
        gates.append(gate(server, args.seed))
    finally:
        server.stop()
    if with_feast:
        server = feast_server(args.feast, feast_repo, work / "feast.log")
        try:
            gates.append(gate(server, args.seed))
        finally:
            server.stop(timeout=60)
    for g in gates:
        log(f"  {'ok' if g['ok'] else 'FAILED'}: {g['system']}, {g['values_checked']:,} values"
            + "".join("\n    " + p for p in g["problems"]))
    if not all(g["ok"] for g in gates):
        sys.exit(1)

    load = LoadGate(args.max_load, args.max_other, args.max_wait)
    start_load = load.before_start()
    log(f"  1-minute load at the start of timing: {start_load:.2f}")
    results, open_loop = [], []
    log("==> featherstone serve --threads 1 (core 0), wrk (core 1)")
    run_featherstone(args, binary, fst_repo, work, load, results, open_loop, vegeta_bin)
    if with_feast:
        log(f"==> feast serve {' '.join(FEAST_SERVE_FLAGS)} (core 0), wrk (core 1)")
        run_feast(args, args.feast, feast_repo, work, load, results, open_loop, vegeta_bin)

    rows, ol_rows = summarize(results, open_loop)
    versions = {"featherstone": tool_version(["git", "-C", str(ROOT), "rev-parse", "--short",
                                              "HEAD"]),
                "wrk": (tool_version(["wrk", "-v"]) or "").split(" [")[0].replace("wrk ", "") or None,
                "vegeta": VEGETA.rsplit("@", 1)[1] if vegeta_bin else None}
    if with_feast:
        versions["feast"] = tool_version([pathlib.Path(args.feast).parent / "python", "-c",
                                          "from importlib.metadata import version; "
                                          "print(version('feast'))"])
    name = f"serving-{started:%Y-%m-%d-%H%M%S}-{socket.gethostname()}.json"
    doc = {"benchmark": "serving", "file": name,
           "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "command": "bench/serving_bench.py " + " ".join(sys.argv[1:]),
           "machine": machine_info(), "versions": versions,
           "settings": {"repeat": args.repeat, "duration": args.duration,
                        "connections": args.connections, "rates": args.rates,
                        "feast_rates": args.feast_rates, "entities": ENTITIES,
                        "server_core": SERVER_CORE, "load_core": LOAD_CORE,
                        "featherstone_serve": "serve --threads 1 [--no-feature-log]",
                        "feast_serve": ["feast", "serve"] + FEAST_SERVE_FLAGS,
                        "max_load": args.max_load, "max_other_cores": args.max_other,
                        "load_1m_at_start": round(start_load, 2),
                        "waited_for_load_s": load.waited},
           "gate": gates, "runs": results, "open_loop": open_loop, "summary": rows,
           "open_loop_summary": ol_rows}
    out = BENCH / "results" / name
    out.write_text(json.dumps(doc, indent=1) + "\n")
    log(f"wrote {out}")
    if not args.no_docs:
        write_doc(doc)
        log(f"wrote the Serving section of {DOC}")
    errors = sum(r["error_count"] for r in results) + sum(r["error_count"] for r in open_loop)
    if errors:
        log(f"{errors} requests failed: see {out}")
        sys.exit(1)


if __name__ == "__main__":
    main()
