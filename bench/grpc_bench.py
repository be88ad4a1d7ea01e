#!/usr/bin/env python3
"""gRPC against HTTP on one `featherstone serve --grpc-port`: GetOnlineFeatures and POST
/get-online-features of 1 entity x svc50 (50 int64 features), serving_bench.py's workload; with
`--health`, the Health call and GET /health instead (no engine work: each transport's floor).

    .venv/bin/python bench/grpc_bench.py [--reuse] [--duration 5] [--repeat 3] [--clients 1,4]
                                         [--health]

The server runs pinned to core 0 (`taskset -c 0 ... serve --threads 1 --no-feature-log`, both
transports on the same process); the clients are Python processes pinned to core 1, each in a
closed loop on its own connection: http.client with keep-alive, and grpcio calling the method
with pre-serialized requests and undecoded answers (neither side parses the answer, as wrk
does not). Python clients are slower than the server, so req/s and latency include the
client; the server's CPU per request (utime + stime of its process over the run, divided by
the requests answered) is the transport's own cost. Runs alternate HTTP and gRPC per repeat.
Prints a Markdown table.
"""
import argparse
import importlib
import importlib.resources
import json
import multiprocessing as mp
import os
import pathlib
import random
import statistics
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import serving_bench as sb  # noqa: E402

PROTO_DIR = sb.ROOT / "src" / "serving" / "proto" / "featherstone" / "serving" / "v1"
METHOD = "/featherstone.serving.v1.FeatureServing/GetOnlineFeatures"
HEALTH = "/featherstone.serving.v1.FeatureServing/Health"
SERVICE = "svc50"


def stubs(out):
    from grpc_tools import protoc
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    if protoc.main(["protoc", f"-I{PROTO_DIR}", f"-I{well_known}", f"--python_out={out}",
                    "serving.proto"]) != 0:
        sys.exit("grpc_tools.protoc failed on serving.proto")
    sys.path.insert(0, str(out))
    return importlib.import_module("serving_pb2")


def keys(seed, n=1000):
    rng = random.Random(seed)
    return [rng.randrange(sb.ENTITIES) for _ in range(n)]


def http_client(port, seed, duration, health, out):
    import http.client
    os.sched_setaffinity(0, {int(sb.LOAD_CORE)})
    bodies = [json.dumps({"feature_service": SERVICE, "entities": {"customer_id": [k]}})
              for k in keys(seed)]
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    lat, errors, i = [], 0, 0
    end = time.perf_counter() + duration
    while (t0 := time.perf_counter()) < end:
        if health:
            conn.request("GET", "/health")
        else:
            conn.request("POST", "/get-online-features", body=bodies[i % len(bodies)],
                         headers=headers)
        r = conn.getresponse()
        r.read()
        errors += r.status != 200
        lat.append(time.perf_counter() - t0)
        i += 1
    out.put((lat, errors))


def grpc_client(port, seed, duration, health, stub_dir, out):
    import grpc
    os.sched_setaffinity(0, {int(sb.LOAD_CORE)})
    pb = stubs(stub_dir)
    requests = []
    for k in keys(seed):
        r = pb.GetOnlineFeaturesRequest(feature_service=SERVICE)
        r.entities["customer_id"].val.add(int64_val=k)
        requests.append(r.SerializeToString())
    if health:
        requests = [pb.HealthRequest().SerializeToString()]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(HEALTH if health else METHOD)  # bytes in, bytes out
        lat, errors, i = [], 0, 0
        end = time.perf_counter() + duration
        while (t0 := time.perf_counter()) < end:
            try:
                call(requests[i % len(requests)])
            except grpc.RpcError:
                errors += 1
            lat.append(time.perf_counter() - t0)
            i += 1
    out.put((lat, errors))


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(transport, server, grpc_port, clients, duration, seed, health, stub_dir):
    out = mp.Queue()
    procs = []
    for c in range(clients):
        if transport == "http":
            args = (server.port, seed + c, duration, health, out)
            procs.append(mp.Process(target=http_client, args=args))
        else:
            args = (grpc_port, seed + c, duration, health, stub_dir, out)
            procs.append(mp.Process(target=grpc_client, args=args))
    sb.settle(server.proc.pid)
    cpu0, t0 = proc_cpu(server.proc.pid), time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    sb.settle(server.proc.pid)
    cpu = proc_cpu(server.proc.pid) - cpu0
    lat = sorted(x for r in results for x in r[0])
    return {"transport": transport, "clients": clients, "requests": len(lat),
            "errors": sum(r[1] for r in results), "rps": len(lat) / duration,
            "p50_us": 1e6 * sb.percentile(lat, 50), "p99_us": 1e6 * sb.percentile(lat, 99),
            "server_cpu_us": 1e6 * cpu / len(lat), "wall": wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clients", default="1,4")
    ap.add_argument("--reuse", action="store_true",
                    help="keep bench/data/serving's repo from an earlier run")
    ap.add_argument("--bin", default=str(sb.ROOT / "build" / "featherstone"))
    ap.add_argument("--seed", type=int, default=20251212)
    ap.add_argument("--health", action="store_true",
                    help="time Health and GET /health (each transport's floor)")
    args = ap.parse_args()
    work = BENCH / "data" / "serving"
    work.mkdir(parents=True, exist_ok=True)
    repo = work / "featherstone"
    if not (args.reuse and (repo / "featherstone.yaml").exists()):
        repo, _ = sb.build_repos(work, args.bin, None, with_feast=False)
    stub_dir = pathlib.Path(tempfile.mkdtemp(prefix="grpc_bench"))
    stubs(stub_dir)
    http_port, grpc_port = sb.free_port(), sb.free_port()
    server = sb.Server("featherstone", [args.bin, "-C", repo, "serve", "--port", http_port,
                                        "--grpc-port", grpc_port, "--threads", 1,
                                        "--no-feature-log"], http_port, work / "grpc_bench.log")
    rows = []
    try:
        for rep in range(args.repeat):
            for clients in [int(c) for c in args.clients.split(",")]:
                for transport in (["http", "grpc"] if rep % 2 == 0 else ["grpc", "http"]):
                    r = run(transport, server, grpc_port, clients, args.duration,
                            args.seed + rep, args.health, stub_dir)
                    r["load"] = os.getloadavg()[0]
                    rows.append(r)
                    sb.log(json.dumps(r))
    finally:
        server.stop()
    print(f"\n{'health' if args.health else '1 entity x svc50'}:")
    print("\n| transport | clients | req/s | p50 µs | p99 µs | server CPU µs/request | errors |")
    print("|---|---|---|---|---|---|---|")
    for clients in [int(c) for c in args.clients.split(",")]:
        for transport in ("http", "grpc"):
            rs = [r for r in rows if r["transport"] == transport and r["clients"] == clients]
            med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
            print(f"| {transport} | {clients} | {med('rps'):,.0f} | {med('p50_us'):.0f} | "
                  f"{med('p99_us'):.0f} | {med('server_cpu_us'):.1f} | "
                  f"{sum(r['errors'] for r in rs)} |")
    print(f"(median of {args.repeat} runs of {args.duration:g} s; 1-minute load "
          f"{min(r['load'] for r in rows):.1f}-{max(r['load'] for r in rows):.1f})")


if __name__ == "__main__":
    main()
