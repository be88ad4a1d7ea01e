"""Shared fixtures' data: the shop definitions (YAML and Python twins), generated orders and
spines, and a runner for the featherstone command."""

import datetime as dt
import json
import os
import pathlib
import random
import shutil
import subprocess

import featherstone as fst

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT = float(os.environ.get("FST_TEST_TIMEOUT", "120"))


def cli_binary():
    env = os.environ.get("FST_BIN")
    if env:
        return str(REPO_ROOT / env) if not os.path.isabs(env) else env
    built = REPO_ROOT / "build" / "featherstone"
    if built.exists():
        return str(built)
    return shutil.which("featherstone") or str(built)


BIN = cli_binary()

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

FEATURES = ["customer_features:amount", "customer_features:order_id"]


def define_shop(fs, source_format="csv"):
    """The Python twin of SHOP_YAML, on `fs`; returns the feature view."""
    customer = fst.Entity("customer", join_keys=["customer_id"], description="A buying customer")
    orders = fst.FileSource(
        "orders",
        schema={"customer_id": "int64", "order_id": "string", "amount": ("float64", True),
                "event_ts": "timestamp", "created_ts": "timestamp"},
        timestamp_field="event_ts", created_timestamp_field="created_ts", format=source_format)

    @fs.feature_view(name="customer_features", entities=[customer], source=orders, ttl="30d",
                     online=True, description="")
    def customer_features(o):
        return {"amount": o.amount, "order_id": o.order_id}

    fs.feature_service("churn_model", features=[customer_features])
    return customer_features


BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def iso(d):
    return d.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_orders(n_customers=60, n_orders=1500, seed=7):
    """Rows (customer_id, order_id, amount, event_ts, created_ts) as aware datetimes, with
    equal event times (ties decided by created_ts or file order), nulls and late rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_orders):
        if rows and rng.random() < 0.05:  # a tie with the previous row's key and event time
            prev = rows[-1]
            cid, event = prev[0], prev[3]
        else:
            cid = rng.randrange(1, n_customers + 1)
            event = BASE + dt.timedelta(seconds=rng.randrange(0, 90 * 86400))
        created = event + dt.timedelta(seconds=rng.randrange(0, 7200))
        amount = None if rng.random() < 0.05 else round(rng.uniform(5, 500), 2)
        rows.append((cid, f"o{i:06d}", amount, event, created))
    return rows


def make_spine(n_rows=400, n_customers=70, seed=11):
    """Rows (customer_id, event_timestamp, label): some keys without data, some times
    before any data."""
    rng = random.Random(seed)
    return [(rng.randrange(1, n_customers + 1),
             BASE + dt.timedelta(seconds=rng.randrange(-5 * 86400, 100 * 86400)),
             rng.randrange(0, 2)) for _ in range(n_rows)]


def write_orders_csv(path, rows):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("customer_id,order_id,amount,event_ts,created_ts\n")
        for cid, oid, amount, event, created in rows:
            f.write(f"{cid},{oid},{'' if amount is None else amount},{iso(event)},{iso(created)}\n")
    return path


def write_spine_csv(path, rows):
    path = pathlib.Path(path)
    with open(path, "w") as f:
        f.write("customer_id,event_timestamp,label\n")
        for cid, ts, label in rows:
            f.write(f"{cid},{iso(ts)},{label}\n")
    return path


def cli(args, repo=None, ok=True, timeout=None):
    """Runs the featherstone command; returns the CompletedProcess (text)."""
    cmd = [BIN] + (["-C", str(repo)] if repo is not None else []) + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or TIMEOUT)
    if ok:
        assert p.returncode == 0, f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def cli_online(repo, entities, features=FEATURES, at=None):
    args = ["online", "--features", ",".join(features)]
    for e in entities:
        for k, v in e.items():
            args += ["--entity", f"{k}={v}"]
    if at is not None:
        args += ["--at", at]
    return json.loads(cli(args, repo).stdout)
