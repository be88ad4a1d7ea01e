"""PostgreSQL ingest: `featherstone ingest SOURCE` straight from the database against the
two-step path (`psql -c "\\copy (SELECT ...) TO FILE csv header"`, then `featherstone ingest
SOURCE FILE`), on a throwaway PostgreSQL server on loopback (tests/e2e/pg_server.py).

The table: N rows (default 10M) of an int64 key, a timestamp, three float64 and a short text,
made by generate_series inside the server. Each run ingests into a fresh repo (so nothing is
skipped as already ingested). Reports wall time and peak RSS (the largest of the run's
processes) per path, min and median of --runs.

    .venv/bin/python bench/postgres_ingest.py [--rows 10000000] [--runs 3]
        [--bin build/featherstone]
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import pg_server  # noqa: E402

COLUMNS = """\
      - {name: id, type: int64}
      - {name: event_ts, type: timestamp}
      - {name: a, type: float64}
      - {name: b, type: float64}
      - {name: c, type: float64}
      - {name: label, type: string}
"""


def repo_yaml():
    return f"""\
project: pgbench
registry: sqlite
online_store: rocksdb
entities:
  - {{name: item, join_keys: [id]}}
sources:
  - name: from_db
    kind: postgres
    dsn: ${{PG_DSN}}
    table: events
    timestamp_field: event_ts
    schema:
{COLUMNS}  - name: from_csv
    kind: file
    format: csv
    timestamp_field: event_ts
    schema:
{COLUMNS}feature_views:
  - {{name: db_features, entities: [item], source: from_db,
      features: [{{name: a}}, {{name: label}}]}}
  - {{name: csv_features, entities: [item], source: from_csv,
      features: [{{name: a}}, {{name: label}}]}}
"""


def timed(cmd, env=None):
    """Runs `cmd`; returns (wall seconds, peak RSS in MiB). Fails on a non-zero exit."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    out, err = p.stdout.read(), p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n"
                         f"{out.decode()[-2000:]}\n{err.decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0


def fresh_repo(work, binary, env):
    repo = pathlib.Path(tempfile.mkdtemp(prefix="repo-", dir=work))
    (repo / "featherstone.yaml").write_text(repo_yaml())
    subprocess.run([binary, "-C", str(repo), "apply"], env=env, check=True,
                   capture_output=True)
    return repo


def stats(values):
    return {"min": min(values), "median": statistics.median(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", default=str(ROOT / "build" / "featherstone"))
    parser.add_argument("--work", default=None, help="folder for repos and the CSV file")
    args = parser.parse_args()
    binary = str(pathlib.Path(args.bin).resolve())
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="fst-pgbench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {"rows": args.rows, "runs": args.runs, "direct": [], "two_step": []}
    with pg_server.running_server() as pg:
        start = time.monotonic()
        pg.psql("CREATE TABLE events AS SELECT g::bigint AS id, "
                "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' AS event_ts, "
                "random() AS a, random() * 100 AS b, random() - 0.5 AS c, "
                f"'k' || (g % 1000) AS label FROM generate_series(1, {args.rows}) g",
                timeout=3600)
        pg.psql("VACUUM ANALYZE events", timeout=3600)
        print(f"table of {args.rows} rows made in {time.monotonic() - start:.1f} s", flush=True)
        env = dict(os.environ, PG_DSN=pg.dsn(), PGTZ="UTC")
        psql_args, psql_env = pg.psql_args()
        psql_env["PGTZ"] = "UTC"
        csv_path = work / "events.csv"
        for run in range(args.runs):
            repo = fresh_repo(work, binary, env)
            wall, rss = timed([binary, "-C", str(repo), "ingest", "from_db"], env)
            results["direct"].append({"wall_s": wall, "peak_rss_mib": rss})
            print(f"run {run + 1}: featherstone ingest from_db: {wall:.1f} s, {rss:.0f} MiB",
                  flush=True)
            shutil.rmtree(repo)

            repo = fresh_repo(work, binary, env)
            copy_wall, copy_rss = timed(["psql"] + psql_args + [
                "-c", f"\\copy (SELECT id, event_ts, a, b, c, label FROM events) TO "
                      f"'{csv_path}' csv header"], psql_env)
            ingest_wall, ingest_rss = timed([binary, "-C", str(repo), "ingest", "from_csv",
                                             str(csv_path)], env)
            results["two_step"].append({"wall_s": copy_wall + ingest_wall,
                                        "copy_s": copy_wall, "ingest_s": ingest_wall,
                                        "peak_rss_mib": max(copy_rss, ingest_rss),
                                        "csv_bytes": csv_path.stat().st_size})
            print(f"run {run + 1}: psql \\copy {copy_wall:.1f} s + ingest file "
                  f"{ingest_wall:.1f} s = {copy_wall + ingest_wall:.1f} s, "
                  f"{max(copy_rss, ingest_rss):.0f} MiB", flush=True)
            csv_path.unlink()
            shutil.rmtree(repo)
    summary = {}
    for path in ("direct", "two_step"):
        summary[path] = {"wall_s": stats([r["wall_s"] for r in results[path]]),
                         "peak_rss_mib": stats([r["peak_rss_mib"] for r in results[path]])}
    results["summary"] = summary
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench" / "results" / "postgres_ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
