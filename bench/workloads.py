"""The systems under test and how each one runs a workload.

Featherstone runs as the `featherstone` command, and its Python SDK as a Python process, a
process per call (FST_THREADS=2); DuckDB and Feast run in this process. The peak resident
memory of a timed run is that of the processes it started (ChildPeak, by GNU time) or, for a system in
this process, this process's own peak since the run began (SelfPeak: the harness's memory
included). duckdb, feast and
pandas are imported inside the functions that need them, so this module imports with pyarrow
alone.
"""
import contextlib
import io
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

from datagen import AGG_FEATURES, AMOUNT, FEATURES, TTL_DAYS, TTL_US, WINDOWS

THREADS = 2
VIEW = "cf"
FEATURE_REFS = ",".join(f"{VIEW}:{f}" for f in FEATURES)
AGG_VIEW = "amounts"
AGG_REFS = ",".join(f"{AGG_VIEW}:{f}" for f in AGG_FEATURES)

# --------------------------------------------------------------------------- timing


def measure(run, repeat, setup=None, warmup=1, peak=None):
    """Runs setup() (untimed) then run() (timed), warmup + repeat times; the warm-up runs are
    discarded. Returns {"runs": [...seconds], "min": s, "median": s}, and with `peak` (a
    ChildPeak or SelfPeak) the peak RSS of each timed run and their max, in MiB (for a
    SelfPeak also the largest RSS the process had when a timed run began)."""
    times, peaks, starts = [], [], []
    for i in range(warmup + repeat):
        if setup is not None:
            setup()
        at_start = peak.start() if peak is not None else None
        t0 = time.perf_counter()
        run()
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
            if peak is not None:
                peaks.append(peak.mib())
            if at_start is not None:
                starts.append(at_start)
    out = {"runs": times, "min": min(times), "median": statistics.median(times)}
    if peak is not None:
        known = [x for x in peaks if x is not None]
        out.update(peak_rss_mib=max(known) if known else None, peak_rss_mib_runs=peaks)
    if starts:
        out["start_rss_mib"] = max(starts)
    return out


class ChildPeak:
    """The largest peak RSS (MiB) of the processes run_process ran since start() (None when
    one of them could not be measured)."""

    def __init__(self):
        self.value = 0.0

    def start(self):
        self.value = 0.0

    def add(self, mib):
        self.value = None if mib is None or self.value is None else max(self.value, mib)

    def mib(self):
        return None if self.value is None else round(self.value, 1)


class SelfPeak:
    """This process's peak RSS (VmHWM, MiB) since start(), which resets it (Linux
    /proc/self/clear_refs) and returns the RSS at that moment: the peak includes it."""

    def start(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return self._status("VmRSS:")

    def mib(self):
        return self._status("VmHWM:")

    @staticmethod
    def _status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError(f"no {field} in /proc/self/status")


# GNU time (Debian package `time`): it forks the command from its own small process and
# reports that child's peak RSS. A process started from this one directly would not do: exec
# keeps the high-water mark of the memory it replaces, this (large) process's.
GNU_TIME = "/usr/bin/time"


def run_process(cmd, env, peak, timeout=3600):
    """subprocess.run(cmd, capture_output=True, text=True) that also adds the process's peak
    RSS to `peak` (a ChildPeak), measured by GNU time (a Debian package; without it the peak
    is not recorded)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        timed = os.access(GNU_TIME, os.X_OK)
        full = [GNU_TIME, "-f", "%M", "-o", rss.name] + cmd if timed else cmd
        p = subprocess.Popen(full, stdout=out, stderr=err, env=env, start_new_session=True)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
        if timed:
            lines = rss.read().split()
            peak.add(int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else None)
        else:
            peak.add(None)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, p.returncode, out.read().decode(),
                                           err.read().decode())


# --------------------------------------------------------------------------- featherstone

def fst_yaml(source_format):
    nullable = {"f1", "f2", "f3", "f5"}
    types = {"f1": "float64", "f2": "float64", "f3": "float64", "f4": "int64", "f5": "string"}
    schema = ["      - {name: customer_id, type: int64}"]
    for f in FEATURES:
        schema.append(f"      - {{name: {f}, type: {types[f]}"
                      + (", nullable: true}" if f in nullable else "}"))
    schema += ["      - {name: event_ts, type: timestamp}",
               "      - {name: created_ts, type: timestamp}"]
    feats = "\n".join(f"      - {{name: {f}, column: {f}}}" for f in FEATURES)
    aggs = "\n".join(f"      - {{name: {f}, agg: {f.split('_')[1]}, column: {AMOUNT}, "
                     f"window: {f.split('_')[2]}}}" for f in AGG_FEATURES)
    return f"""\
# Generated by bench/workloads.py: workload 1's view of five passthrough features and
# workload 2's view of nine windowed aggregations, over one source.
project: bench
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: features
    kind: file
    format: {source_format}
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
{chr(10).join(schema)}
feature_views:
  - name: {VIEW}
    entities: [customer]
    source: features
    ttl: {TTL_DAYS}d
    online: true
    features:
{feats}
  - name: {AGG_VIEW}
    entities: [customer]
    source: features
    ttl: 0
    online: false
    features:
{aggs}
"""


class CliError(RuntimeError):
    pass


class Featherstone:
    """Drives build/featherstone."""

    def __init__(self, binary, threads=THREADS):
        self.binary = str(binary)
        self.env = dict(os.environ, FST_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        self.peak = ChildPeak()

    def run(self, repo, *args, timeout=3600):
        cmd = [self.binary, "-C", str(repo)] + [str(a) for a in args]
        p = run_process(cmd, self.env, self.peak, timeout)
        if p.returncode != 0:
            shown = " ".join(cmd) if len(cmd) < 20 else " ".join(cmd[:20]) + " ..."
            raise CliError(f"`{shown}` exited {p.returncode}\nstdout: {p.stdout[-2000:]}\n"
                           f"stderr: {p.stderr[-2000:]}")
        return p

    def make_repo(self, repo, source_format):
        repo = pathlib.Path(repo)
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        (repo / "featherstone.yaml").write_text(fst_yaml(source_format))
        self.run(repo, "apply")
        return repo

    def ingest(self, repo, path):
        return self.run(repo, "ingest", "features", path)

    def historical(self, repo, spine, out, features=FEATURE_REFS):
        out = pathlib.Path(out)
        out.unlink(missing_ok=True)
        self.run(repo, "historical", "--entities", spine, "--features", features, "--out", out)
        return out

    def materialize(self, repo, start_iso, end_iso):
        return self.run(repo, "materialize", "--start", start_iso, "--end", end_iso)

    def online(self, repo, keys, at_iso):
        args = ["online", "--features", FEATURE_REFS]
        for k in keys:
            args += ["--entity", f"customer_id={k}"]
        args += ["--at", at_iso]
        return self.run(repo, *args).stdout

    @staticmethod
    def online_table(stdout):
        """The JSON array of `online` as a table: customer_id and the features."""
        objs = json.loads(stdout)
        if not isinstance(objs, list):
            raise CliError(f"online printed {type(objs).__name__}, not a JSON array")
        cols = {"customer_id": [o.get("customer_id") for o in objs]}
        for f in FEATURES:
            vals = []
            for o in objs:
                for name in (f, f"{VIEW}__{f}", f"{VIEW}:{f}"):
                    if name in o:
                        vals.append(o[name])
                        break
                else:
                    raise CliError(f"online output has no feature {f}: {o}")
            cols[f] = vals
        return pa.table({
            "customer_id": pa.array(cols["customer_id"], pa.int64()),
            "f1": pa.array(cols["f1"], pa.float64()),
            "f2": pa.array(cols["f2"], pa.float64()),
            "f3": pa.array(cols["f3"], pa.float64()),
            "f4": pa.array(cols["f4"], pa.int64()),
            "f5": pa.array(cols["f5"], pa.string()),
        })

    @staticmethod
    def stored_rows(repo):
        """Every row of the repo's offline store for source `features`, as one table (the
        store's own columns such as __seq dropped)."""
        root = pathlib.Path(repo) / ".featherstone" / "offline" / "features"
        parts = sorted(root.rglob("*.parquet"))
        tables = [pq.read_table(p) for p in parts]
        t = pa.concat_tables(tables, promote_options="permissive") if tables else None
        if t is None:
            raise CliError(f"no Parquet parts under {root}")
        return t.select([c for c in t.column_names if not c.startswith("__")])


SDK_SCRIPT = """\
import sys
import pyarrow.parquet as pq
import featherstone
repo, spine, out, refs = sys.argv[1:5]
fs = featherstone.FeatureStore(repo)
pq.write_table(fs.get_historical_features(pq.read_table(spine), refs.split(",")), out)
"""


class FeatherstonePython:
    """The Python SDK (the `featherstone` module installed in the project venv by `pip install
    --no-build-isolation .`): a process per call, like the CLI, that reads the entity file
    into a pyarrow Table, calls FeatureStore.get_historical_features and writes the result
    to Parquet."""

    def __init__(self, python, threads=THREADS):
        self.python = str(python)
        self.env = dict(os.environ, FST_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        self.peak = ChildPeak()

    def available(self):
        """None when the interpreter imports featherstone, else why not."""
        if not os.access(self.python, os.X_OK):
            return f"no Python at {self.python}"
        p = subprocess.run([self.python, "-c", "import featherstone"], capture_output=True,
                           text=True, env=self.env)
        return None if p.returncode == 0 else p.stderr.strip().splitlines()[-1]

    def historical(self, repo, spine, out, features=FEATURE_REFS, timeout=3600):
        out = pathlib.Path(out)
        out.unlink(missing_ok=True)
        cmd = [self.python, "-c", SDK_SCRIPT, str(repo), str(spine), str(out), features]
        p = run_process(cmd, self.env, self.peak, timeout)
        if p.returncode != 0:
            raise CliError(f"the Python SDK exited {p.returncode}\nstderr: {p.stderr[-2000:]}")
        return out


# --------------------------------------------------------------------------- duckdb

def duckdb_connect(threads=THREADS):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={int(threads)}")
    con.execute("SET TimeZone='UTC'")
    return con


def _q(path):
    return "'" + str(path).replace("'", "''") + "'"


class MemTable(str):
    """A table of the DuckDB session (duckdb_load), given to the queries below in place of a
    Parquet path: the in-memory formulation, as a user who keeps a session open has the data."""


def duckdb_load(con, name, path, row_numbers=False):
    """Loads the Parquet file at `path` into table `name` of `con` (with its file row numbers,
    the ingestion order, as column file_row_number when `row_numbers`); returns its MemTable."""
    numbers = ", file_row_number = true" if row_numbers else ""
    con.execute(f"CREATE OR REPLACE TABLE {name} AS "
                f"SELECT * FROM read_parquet({_q(path)}{numbers})")
    return MemTable(name)


def _from(source, row_numbers=False):
    """The FROM item reading `source`: a MemTable, or a Parquet path read in the query."""
    if isinstance(source, MemTable):
        return str(source)
    return f"read_parquet({_q(source)}{', file_row_number = true' if row_numbers else ''})"


def duckdb_pit_sql(features_path, spine_path, ttl_us=TTL_US):
    """DESIGN section 3 in SQL, reading both Parquet files in the query (or both tables, given
    MemTables; the features' table loaded with row_numbers).

    ASOF LEFT JOIN finds, per entity row, the latest event_ts <= t of its key (the winning
    event time; ASOF keeps one row per match, so ties are not decided there). Among the rows
    with that (key, event_ts) the winner is the max of (created_ts, file row number): the file
    row number is the ingestion order. A winning event_ts older than t - ttl means no
    eligible row: the features stay null (LEFT JOIN). Output: the spine's columns and the
    features, in spine order.
    """
    ttl_clause = f"WHERE epoch_us(a.win_ts) >= epoch_us(a.event_timestamp) - {int(ttl_us)}" \
        if ttl_us else ""
    feats = ", ".join(f"'{c}': f.{c}" for c in FEATURES)
    out = ", ".join(f"w.v.{c} AS {c}" for c in FEATURES)
    return f"""
WITH f AS (
  SELECT customer_id, event_ts, created_ts, file_row_number AS seq, {", ".join(FEATURES)}
  FROM {_from(features_path, row_numbers=True)}
),
s AS (SELECT * FROM {_from(spine_path)}),
a AS (
  SELECT s.row_id, s.customer_id, s.event_timestamp, f.event_ts AS win_ts
  FROM s ASOF LEFT JOIN (SELECT customer_id, event_ts FROM f) AS f
    ON s.customer_id = f.customer_id AND s.event_timestamp >= f.event_ts
),
w AS (
  SELECT a.row_id, arg_max({{{feats}}}, {{'c': f.created_ts, 's': f.seq}}) AS v
  FROM a JOIN f ON f.customer_id = a.customer_id AND f.event_ts = a.win_ts
  {ttl_clause}
  GROUP BY a.row_id
)
SELECT s.*, {out}
FROM s LEFT JOIN w USING (row_id)
ORDER BY s.row_id
"""


def duckdb_pit(con, features_path, spine_path, out_path=None, ttl_us=TTL_US):
    """Runs the PIT query: to a Parquet file when out_path is given, else returns a table."""
    sql = duckdb_pit_sql(features_path, spine_path, ttl_us)
    if out_path is None:
        return con.sql(sql).to_arrow_table()
    out_path = pathlib.Path(out_path)
    out_path.unlink(missing_ok=True)
    con.execute(f"COPY ({sql}) TO {_q(out_path)} (FORMAT parquet)")
    return out_path


def duckdb_window_sql(features_path, spine_path):
    """Workload 2 in SQL: per spine row, count/sum/avg of the amount over (t - w, t] for each
    window, reading both Parquet files in the query.

    A range join: each spine row joined to its key's events with t - 30d < event_ts <= t
    (the widest window), then one GROUP BY row_id with an aggregate per (function, window),
    each FILTERed to its window (MemTables in place of the paths read the session's tables).
    The spine row stays when it has no events (LEFT JOIN):
    count(amount) is then 0, sum and avg null, as DESIGN section 3 says.
    """
    widest = max(WINDOWS.values())
    aggs = []
    for name, w in WINDOWS.items():
        cond = f"FILTER (WHERE f.ts > s.t - {int(w)})" if w != widest else ""
        aggs += [f"count(f.amount) {cond} AS amount_count_{name}",
                 f"sum(f.amount) {cond} AS amount_sum_{name}",
                 f"avg(f.amount) {cond} AS amount_avg_{name}"]
    aggs_sql = ",\n       ".join(aggs)
    return f"""
WITH s AS (
  SELECT row_id, customer_id, event_timestamp, epoch_us(event_timestamp) AS t
  FROM {_from(spine_path)}
),
f AS (
  SELECT customer_id, epoch_us(event_ts) AS ts, {AMOUNT} AS amount
  FROM {_from(features_path)}
),
a AS (
  SELECT s.row_id,
       {aggs_sql}
  FROM s LEFT JOIN f
    ON f.customer_id = s.customer_id AND f.ts <= s.t AND f.ts > s.t - {int(widest)}
  GROUP BY s.row_id
)
SELECT s.row_id, s.customer_id, s.event_timestamp, {", ".join("a." + f for f in AGG_FEATURES)}
FROM s JOIN a USING (row_id)
ORDER BY s.row_id
"""


def duckdb_window(con, features_path, spine_path, out_path=None):
    """Runs workload 2's query: to a Parquet file when out_path is given, else returns a table."""
    sql = duckdb_window_sql(features_path, spine_path)
    if out_path is None:
        return con.sql(sql).to_arrow_table()
    out_path = pathlib.Path(out_path)
    out_path.unlink(missing_ok=True)
    con.execute(f"COPY ({sql}) TO {_q(out_path)} (FORMAT parquet)")
    return out_path


CSV_COLUMNS = ("{'customer_id': 'BIGINT', 'f1': 'DOUBLE', 'f2': 'DOUBLE', 'f3': 'DOUBLE', "
               "'f4': 'BIGINT', 'f5': 'VARCHAR', 'event_ts': 'TIMESTAMPTZ', "
               "'created_ts': 'TIMESTAMPTZ'}")


def duckdb_ingest_csv(con, csv_path, out_path):
    """CSV -> Parquet with DuckDB: read_csv with the declared types, COPY to Parquet."""
    out_path = pathlib.Path(out_path)
    out_path.unlink(missing_ok=True)
    con.execute(f"COPY (SELECT * FROM read_csv({_q(csv_path)}, header = true, "
                f"columns = {CSV_COLUMNS})) TO {_q(out_path)} (FORMAT parquet)")
    return out_path


# --------------------------------------------------------------------------- feast

class Feast:
    """A Feast repo (local provider, file offline store, SQLite online store) over one
    Parquet file of features, with the same view: five features, ttl 30 days."""

    def __init__(self, repo_dir, features_path, threads=THREADS):
        import dask
        import feast
        from datetime import timedelta
        from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
        from feast.types import Float64, Int64, String

        dask.config.set(scheduler="threads", num_workers=threads)
        pa.set_cpu_count(threads)
        self.version = feast.__version__
        d = pathlib.Path(repo_dir)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        (d / "feature_store.yaml").write_text(f"""\
project: bench
registry: {d / 'registry.db'}
provider: local
online_store:
  type: sqlite
  path: {d / 'online.db'}
offline_store:
  type: file
entity_key_serialization_version: 3
""")
        self.store = FeatureStore(repo_path=str(d))
        customer = Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.INT64)
        source = FileSource(name="features", path=str(pathlib.Path(features_path).resolve()),
                            timestamp_field="event_ts", created_timestamp_column="created_ts")
        types = {"f1": Float64, "f2": Float64, "f3": Float64, "f4": Int64, "f5": String}
        view = FeatureView(name=VIEW, entities=[customer], ttl=timedelta(days=TTL_DAYS),
                           schema=[Field(name="customer_id", dtype=Int64)]
                           + [Field(name=f, dtype=types[f]) for f in FEATURES],
                           source=source, online=True)
        with _quiet():
            self.store.apply([customer, view])
        self.refs = [f"{VIEW}:{f}" for f in FEATURES]

    def historical(self, spine_path, out_path=None):
        """get_historical_features for the spine file (read with pandas, as Feast wants it);
        written to out_path as Parquet when given, else returned as a table."""
        import pandas as pd
        entity_df = pd.read_parquet(spine_path)
        out = self.store.get_historical_features(entity_df=entity_df, features=self.refs).to_arrow()
        if out_path is None:
            return out
        pq.write_table(out, out_path)
        return out_path

    def materialize(self, start, end):
        with _quiet():
            self.store.materialize(start_date=start, end_date=end)

    def online(self, keys):
        rows = [{"customer_id": int(k)} for k in keys]
        return self.store.get_online_features(features=self.refs, entity_rows=rows).to_dict()

    @staticmethod
    def online_table(result):
        return pa.table({
            "customer_id": pa.array(result["customer_id"], pa.int64()),
            "f1": pa.array(result["f1"], pa.float64()),
            "f2": pa.array(result["f2"], pa.float64()),
            "f3": pa.array(result["f3"], pa.float64()),
            "f4": pa.array(result["f4"], pa.int64()),
            "f5": pa.array(result["f5"], pa.string()),
        })


@contextlib.contextmanager
def _quiet():
    """Feast prints progress to stdout; keep the benchmark log readable."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield
