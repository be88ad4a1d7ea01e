"""Helpers for driving the featherstone command in end-to-end tests.

The binary is $FST_BIN (a relative path is taken from the repository root), default
build/featherstone. Every subprocess has a timeout: $FST_E2E_TIMEOUT seconds, default 120.
"""
import csv
import datetime as dt
import json
import math
import os
import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = str(REPO_ROOT / os.environ.get("FST_BIN", "build/featherstone"))
TIMEOUT = float(os.environ.get("FST_E2E_TIMEOUT", "120"))

SHOP_YAML = """\
project: shop
registry: sqlite
online_store: rocksdb
entities:
  - name: customer
    join_keys: [customer_id]
    description: A buying customer
sources:
  - name: orders
    kind: file
    format: csv
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    online: true
    features:
      - {name: amount}
      - {name: order_id}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:order_id]
"""

ORDERS_HEADER = ["customer_id", "order_id", "amount", "event_ts", "created_ts"]
SPINE_HEADER = ["customer_id", "event_timestamp"]
FEATURES = "customer_features:amount,customer_features:order_id"


def run(args, repo=None, ok=True, env=None, timeout=None, input=None):
    """Runs `featherstone [-C repo] args...` and returns the CompletedProcess (text mode).

    ok=True expects exit 0, ok=False any non-zero exit, an int that exact exit code, and
    None checks nothing.
    """
    cmd = [BIN] + (["-C", str(repo)] if repo is not None else []) + [str(a) for a in args]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, input=input,
                       timeout=timeout or TIMEOUT)
    where = (f"command: {' '.join(cmd)}\nexit: {p.returncode}\n"
             f"stdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-4000:]}")
    if ok is True:
        assert p.returncode == 0, "expected exit 0\n" + where
    elif ok is False:
        assert p.returncode != 0, "expected a non-zero exit\n" + where
    elif ok is not None:
        assert p.returncode == ok, f"expected exit {ok}\n" + where
    return p


def make_repo(repo, yaml_text, apply=True):
    """Creates REPO with featherstone.yaml = yaml_text and (by default) applies it."""
    repo = pathlib.Path(repo)
    (repo / "data").mkdir(parents=True, exist_ok=True)
    (repo / "featherstone.yaml").write_text(yaml_text)
    if apply:
        run(["apply"], repo)
    return repo


def write_csv(path, header, rows):
    """Writes a CSV file (header + rows; None is written as an empty field)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def ingest(repo, source, *files, env=None, ok=True):
    return run(["ingest", source, *files], repo, ok=ok, env=env)


def historical(repo, spine_rows, features=FEATURES, service=None, spine_header=SPINE_HEADER,
               extra=(), out_name="out.csv", ok=True, tag="h"):
    """Writes the spine, runs `historical` and returns (rows as dicts, output bytes).

    Values are strings as written in the output CSV; an empty field reads as None.
    """
    repo = pathlib.Path(repo)
    work = repo.parent / f"{repo.name}-{tag}"
    work.mkdir(exist_ok=True)
    spine = write_csv(work / "spine.csv", spine_header, spine_rows)
    out = work / out_name
    if out.exists():
        out.unlink()
    args = ["historical", "--entities", spine, "--out", out]
    args += ["--service", service] if service else ["--features", features]
    p = run(args + list(extra), repo, ok=ok)
    if p.returncode != 0:
        return p, None
    return read_csv(out), out.read_bytes()


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: (None if v == "" else v) for k, v in r.items()} for r in rows]


def online(repo, entities, features=FEATURES, service=None, at=None, ok=True):
    """Runs `online` for a list of entities (dicts of join key -> value); returns the JSON."""
    args = ["online"]
    args += ["--service", service] if service else ["--features", features]
    for ent in entities:
        for k, v in ent.items():
            args += ["--entity", f"{k}={v}"]
    if at is not None:
        args += ["--at", at]
    p = run(args, repo, ok=ok)
    out = json.loads(p.stdout)
    assert isinstance(out, list), p.stdout
    return out


def feature(obj, view, name):
    """A feature's value in an online result object, named `name` or `view__name`."""
    for key in (name, f"{view}__{name}", f"{view}:{name}"):
        if key in obj:
            return obj[key]
    raise KeyError(f"no feature {view}:{name} in {obj}")


def ts(s):
    """ISO-8601 / 'YYYY-MM-DD HH:MM:SS[.f][Z|+hh:mm]' -> aware datetime (UTC when no zone)."""
    s = s.strip().replace(" ", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def iso(d):
    return d.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def num(v):
    """A CSV field as a float (None stays None)."""
    return None if v is None else float(v)


def same_number(a, b, rel=1e-9):
    """Equal as numbers (None only equals None)."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-9)


# Runs argv[2:] as its own child and writes that child's peak RSS in KiB to the file
# descriptor argv[1] (stdout and stderr are the child's). A launcher of its own because Linux
# counts in a process's peak the RSS of the process it was forked from, up to its exec:
# measured straight from pytest (grown to hundreds of MiB over a session), the child's peak
# would be pytest's.
_PEAK_LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
os.write(int(sys.argv[1]), str(usage.ru_maxrss).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measuring_peak(argv, timeout=None):
    """Runs `argv` (stdout and stderr captured as text); returns (CompletedProcess, its peak
    RSS in bytes)."""
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as peak:
        try:
            p = subprocess.run([sys.executable, "-c", _PEAK_LAUNCHER, str(write_end),
                                *map(str, argv)], capture_output=True, text=True,
                               timeout=timeout or TIMEOUT, pass_fds=(write_end,))
        finally:
            os.close(write_end)
        return p, int(peak.read() or 0) * 1024
