"""Registry latency, SQLite against PostgreSQL: the wall time of `featherstone apply` (one
definition changed each time) and of `featherstone ingest` of a small file (10 rows: the
time is the registry's publish path, not the data), each run --runs times on the shop repo
of tests/e2e/fst.py, with `registry: sqlite` and with `registry: postgresql://...` on a
throwaway server on loopback (tests/e2e/pg_server.py). Reports the median and p90 in ms.

    .venv/bin/python bench/registry_latency.py [--runs 30] [--bin build/featherstone]
"""
import argparse
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import fst  # noqa: E402
import pg_server  # noqa: E402


def timed(args, repo):
    start = time.perf_counter()
    fst.run(args, repo)
    return (time.perf_counter() - start) * 1000


def measure(repo, runs):
    applies, ingests = [], []
    yaml = (repo / "featherstone.yaml").read_text()
    for i in range(runs):
        (repo / "featherstone.yaml").write_text(yaml.replace("ttl: 30d", f"ttl: {i + 1}d"))
        applies.append(timed(["apply"], repo))
        rows = [[c, f"o{i}-{c}", 1.5 * c, f"2026-01-0{1 + c % 9}T00:00:0{i % 10}Z",
                 f"2026-01-0{1 + c % 9}T00:00:0{i % 10}Z"] for c in range(10)]
        data = fst.write_csv(repo / "data" / f"o{i}.csv", fst.ORDERS_HEADER, rows)
        ingests.append(timed(["ingest", "orders", data], repo))
    return applies, ingests


def summary(values):
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    return f"median {statistics.median(values):6.1f} ms, p90 {p90:6.1f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--bin", default=None)
    args = parser.parse_args()
    if args.bin:
        fst.BIN = str(pathlib.Path(args.bin).resolve())
    with tempfile.TemporaryDirectory() as tmp, pg_server.running_server() as pg:
        for name, registry in (("sqlite", "sqlite"), ("postgresql", pg.dsn())):
            repo = fst.make_repo(pathlib.Path(tmp) / name,
                                 fst.SHOP_YAML.replace("registry: sqlite", f"registry: {registry}"))
            applies, ingests = measure(repo, args.runs)
            print(f"{name:10s} apply:  {summary(applies)}")
            print(f"{name:10s} ingest: {summary(ingests)}")


if __name__ == "__main__":
    main()
