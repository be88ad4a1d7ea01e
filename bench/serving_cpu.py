#!/usr/bin/env python3
"""Server CPU per /get-online-features request, feature log on and off, for one or more builds
(issue 12: the feature log's cost, target <= 10%).

    .venv/bin/python bench/serving_cpu.py --bin build/featherstone --bin /tmp/before/featherstone

The repo is bench/serving_bench.py's (25 views x 10 int64 features, services svc50/svc250,
10,000 keys), built with its build_repos() when bench/data/serving/featherstone is missing.
Per repeat, for every build, the log on and off (the order alternating per repeat): a fresh
server `taskset -c 0 BIN serve --threads 1` (its feature log wiped first), a warm-up (2 s),
then `taskset -c 1 wrk -t1 -cC -dDs -s bench/serving_wrk.lua URL -- SERVICE ENTITIES 10000 SEED`;
the server's CPU (utime + stime of all its threads, /proc/PID/stat) from before the run until it
is idle again (the log's writer included) divided by the requests wrk counted, and the part of
it spent on the log's publisher and writer threads (named fst-log-publish and fst-log-writer in
builds that name them); a run in
which a part was sealed and published (64 MiB or 5 minutes) is marked. Then SIGTERM: the stop
writes and publishes the log's open part; its wall time and CPU are printed. The machine may be shared: the 1-minute load is printed beside every run, and CPU
per request is the figure sharing disturbs least. Prints one line per run, then a table.
"""
import argparse
import os
import pathlib
import resource
import shutil
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serving_bench as sb  # noqa: E402


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid):
    """{thread name: CPU seconds} of the live threads of `pid`, summed by name."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def idle(pid, timeout=120):
    """Waits until the server spends < 2% of a core over 0.5 s (its writer has caught up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu0 = proc_cpu_seconds(pid)
        time.sleep(0.5)
        if proc_cpu_seconds(pid) - cpu0 < 0.01:
            return


def one_run(binary, repo, log_on, args, seed):
    shutil.rmtree(repo / ".featherstone" / "feature_log", ignore_errors=True)
    work = sb.BENCH / "data" / "serving"
    server = sb.featherstone_server(binary, repo, log_on, work / "serving_cpu.log")
    pid = server.proc.pid
    try:
        sb.wrk(server.port, args.service, args.entities, args.connections, args.warmup, seed + 1000)
        idle(pid)
        load = os.getloadavg()[0]
        cpu0, threads0 = proc_cpu_seconds(pid), thread_cpu_seconds(pid)
        published0 = server.metric("fst_feature_log_parts_published_total")
        r = sb.wrk(server.port, args.service, args.entities, args.connections, args.duration, seed)
        idle(pid)
        cpu, threads = proc_cpu_seconds(pid) - cpu0, thread_cpu_seconds(pid)
        publish_cpu = threads.get("fst-log-publish", 0) - threads0.get("fst-log-publish", 0)
        writer_cpu = threads.get("fst-log-writer", 0) - threads0.get("fst-log-writer", 0)
        published = (server.metric("fst_feature_log_parts_published_total") or 0) - (published0 or 0)
        written = server.metric("fst_feature_log_records_written_total")
        dropped = server.metric("fst_feature_log_records_dropped_total")
        stop_cpu0, stop_wall0 = proc_cpu_seconds(pid), time.monotonic()
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        code = server.stop()
    stop_wall = time.monotonic() - stop_wall0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The server is the child reaped last: its whole CPU moves into RUSAGE_CHILDREN at exit.
    stop_cpu = (usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime) - stop_cpu0
    return {"bin": str(binary), "log": log_on, "requests": r["requests"], "rps": r["rps"],
            "p99_us": r["latency_us"]["p99"], "errors": r["error_count"], "load": load,
            "cpu_per_request_us": cpu / r["requests"] * 1e6, "written": written,
            "published_parts": published, "named_threads": "fst-log-writer" in threads,
            "publish_cpu_per_request_us": publish_cpu / r["requests"] * 1e6,
            "writer_cpu_per_request_us": writer_cpu / r["requests"] * 1e6,
            "dropped": dropped, "stop_s": stop_wall,
            "stop_cpu_s": stop_cpu, "exit": code}


def publish_run(binary, repo, part_text, run_id):
    """Starts a server with `part_text` left as a sealed part (its request ids made unique to the
    run, so the content dedupe publishes it again) and returns the CPU seconds of the server's
    threads other than the main one until the part is published, and the wall time."""
    import datetime as dt
    import re
    log_dir = repo / ".featherstone" / "feature_log"
    shutil.rmtree(log_dir, ignore_errors=True)
    day = log_dir / dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    day.mkdir(parents=True)
    part = day / "part-00000.jsonl"
    part.write_text(re.sub(r'"request_id":"[0-9a-f]{8}-', f'"request_id":"{run_id:08x}-', part_text))
    work = sb.BENCH / "data" / "serving"
    t0 = time.monotonic()
    server = sb.featherstone_server(binary, repo, True, work / "serving_cpu.log")
    pid = server.proc.pid
    try:
        while part.exists():
            time.sleep(0.05)
        wall = time.monotonic() - t0
        with open(f"/proc/{pid}/task/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        main_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        cpu = proc_cpu_seconds(pid) - main_cpu
    finally:
        server.stop()
    shutil.rmtree(log_dir, ignore_errors=True)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", action="append", required=True, help="a featherstone binary")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before the timed run")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--service", default="svc50")
    ap.add_argument("--entities", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20251212)
    ap.add_argument("--modes", default="on,off", help="feature log modes to run: on,off")
    ap.add_argument("--publish-part", metavar="JSONL",
                    help="instead: the CPU of publishing this sealed part at each build's start")
    args = ap.parse_args()
    modes = [m == "on" for m in args.modes.split(",")]
    work = sb.BENCH / "data" / "serving"
    work.mkdir(parents=True, exist_ok=True)
    repo = work / "featherstone"
    binaries = []
    for i, b in enumerate(args.bin):  # private copies: a rebuild cannot swap one mid-run
        copy = work / "bin" / f"featherstone-cpu-{i}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(b, copy)
        binaries.append(copy)
    if not (repo / ".featherstone").is_dir():
        sb.build_repos(work, binaries[0], None, False)
    if args.publish_part:
        text = pathlib.Path(args.publish_part).read_text()
        lines = text.count("\n")
        results = {b: [] for b in args.bin}
        for rep in range(args.repeat):
            for i, binary in enumerate(binaries):
                cpu, wall = publish_run(binary, repo, text, int(time.time() * 1000) & 0xffffffff)
                results[args.bin[i]].append(cpu / lines * 1e6)
                print(f"{args.bin[i]} publish #{rep + 1}: {lines:,} records in {wall:.1f} s, "
                      f"{cpu:.2f} s CPU = {cpu / lines * 1e6:.0f} us per record, "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
        print("\n| build | publish CPU per record (runs) | median |\n|---|---|---|")
        for b, per in results.items():
            print(f"| {b} | {', '.join(f'{x:.0f}' for x in sorted(per))} µs | "
                  f"{statistics.median(per):.0f} µs |")
        return
    runs = []
    for rep in range(args.repeat):
        for i, binary in enumerate(binaries):
            for log_on in (modes if rep % 2 == 0 else modes[::-1]):
                run = one_run(binary, repo, log_on, args, args.seed + rep)
                run["bin"] = args.bin[i]
                runs.append(run)
                extra = ""
                if log_on:
                    extra = (f" logged {run['written']:,.0f} dropped {run['dropped']:,.0f}"
                             f" parts published in the run {run['published_parts']:.0f}"
                             f" stop {run['stop_s']:.1f} s {run['stop_cpu_s']:.1f} s CPU")
                    if run["named_threads"]:
                        extra += (f"; of the CPU per request {run['publish_cpu_per_request_us']:.1f}"
                                  f" us on the publisher thread, {run['writer_cpu_per_request_us']:.1f}"
                                  " us on the writer thread")
                print(f"{args.bin[i]} log {'on ' if log_on else 'off'} #{rep + 1}: "
                      f"{run['rps']:,.0f} req/s p99 {run['p99_us']} us "
                      f"CPU {run['cpu_per_request_us']:.1f} us/request load {run['load']:.2f}"
                      f"{extra} errors {run['errors']} exit {run['exit']}", flush=True)
    print("\n| build | feature log | CPU per request (runs; * a part was published in the run) "
          "| median | of which on the publisher thread | on the writer thread | req/s median "
          "| 1-min load |")
    print("|---|---|---|---|---|---|---|---|")
    for b in args.bin:
        for log_on in modes:
            rs = sorted((r for r in runs if r["bin"] == b and r["log"] == log_on),
                        key=lambda r: r["cpu_per_request_us"])
            cpu = [r["cpu_per_request_us"] for r in rs]
            named = log_on and rs[0]["named_threads"]
            publish = ", ".join(f"{r['publish_cpu_per_request_us']:.0f}" for r in rs) + " µs" \
                if named else "–"
            writer = ", ".join(f"{r['writer_cpu_per_request_us']:.1f}" for r in rs) + " µs" \
                if named else "–"
            print(f"| {b} | {'on' if log_on else 'off'} | "
                  + ", ".join(f"{r['cpu_per_request_us']:.0f}{'*' if r.get('published_parts') else ''}"
                              for r in rs)
                  + f" µs | {statistics.median(cpu):.0f} µs | {publish} | {writer} | "
                  f"{statistics.median(r['rps'] for r in rs):,.0f} | "
                  f"{min(r['load'] for r in rs):.1f}–{max(r['load'] for r in rs):.1f} |")


if __name__ == "__main__":
    main()
