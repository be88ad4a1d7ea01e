"""PostgreSQL sources (`kind: postgres`) against a real server on loopback (fixture
`postgres`, pg_server.py): table and query sources, incremental reads by cursor with rows
added between runs, a SIGKILL between reading and publishing, contracts and bad values, a
wrong password, and the same training set as the same rows ingested from a CSV file.

Each test uses tables of its own (named after the test), so they share one server.
"""
import json
import os
import pathlib
import sqlite3
import subprocess

import pyarrow.parquet as pq
import pytest

import fst

ROWS = [  # customer_id, order_id, amount, event_ts, created_ts
    (1, "o1", 10.5, "2026-01-01 00:00:00+00", "2026-01-01 00:00:00+00"),
    (2, "o2", 20.0, "2026-01-02 00:00:00+00", "2026-01-02 00:00:00+00"),
    (1, "o3", None, "2026-01-03 00:00:00+00", "2026-01-03 00:00:00+00"),
    (3, "o4", 7.25, "2026-01-04 12:30:00.5+00", "2026-01-04 12:30:00.5+00"),
    (4, "tab\there", -1e-7, "2026-01-05 00:00:00+00", "2026-01-05 00:00:00+00"),
]


def source_yaml(name, table=None, query=None, cursor=None, contract=""):
    """fst.SHOP_YAML with source `orders` reading `table` or `query` through ${PG_DSN}."""
    keys = "    dsn: ${PG_DSN}\n"
    keys += f"    table: {table}\n" if table else f"    query: {json.dumps(query)}\n"
    if cursor:
        keys += f"    cursor_column: {cursor}\n"
    yaml = fst.SHOP_YAML.replace("    kind: file\n    format: csv\n", "    kind: postgres\n" + keys)
    return yaml.replace("      - {name: created_ts, type: timestamp}\n",
                        "      - {name: created_ts, type: timestamp}\n" + contract)


def create_table(pg, table, rows, serial=False):
    pg.psql(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ("
            + ("id bigserial, " if serial else "")
            + "customer_id bigint, order_id text, amount double precision, "
              "event_ts timestamptz, created_ts timestamptz, note text DEFAULT 'extra')")
    insert(pg, table, rows)


def insert(pg, table, rows):
    if not rows:
        return
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, (int, float)):
            return repr(v)
        return "E'" + v.replace("\t", "\\t") + "'"
    values = ", ".join("(" + ", ".join(literal(v) for v in r) + ")" for r in rows)
    pg.psql(f"INSERT INTO {table} (customer_id, order_id, amount, event_ts, created_ts) "
            f"VALUES {values}")


def repo_for(tmp_path, pg, yaml_text):
    repo = fst.make_repo(tmp_path / "shop", yaml_text, apply=False)
    run(repo, pg, ["apply"])
    return repo


def run(repo, pg, args, ok=True, password=None):
    return fst.run(args, repo, ok=ok, env={"PG_DSN": pg.dsn(password)})


def offline(repo, source="orders"):
    """The rows of `source` the registry lists (published ingests only), as (order_id, amount)
    pairs, sorted, and the number of published ingests."""
    db = sqlite3.connect(pathlib.Path(repo) / ".featherstone" / "registry.db")
    paths = [r[0] for r in db.execute("SELECT path FROM files WHERE source = ?", (source,))]
    published = db.execute("SELECT count(*) FROM ingests WHERE source = ? AND published_at > 0",
                           (source,)).fetchone()[0]
    db.close()
    rows = []
    for path in paths:
        p = pathlib.Path(path)
        table = pq.read_table(p if p.is_absolute() else
                              pathlib.Path(repo) / ".featherstone" / "offline" / p)
        rows += zip(table.column("order_id").to_pylist(), table.column("amount").to_pylist())
    return sorted(rows, key=lambda r: (r[0], r[1] is None, r[1])), published


def database(pg, table):
    """(count, sum of amount, count of distinct order ids) of `table`, from the server."""
    out = pg.psql(f"SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT order_id) "
                  f"FROM {table}").strip().split("|")
    return int(out[0]), float(out[1]), int(out[2])


def summary(rows):
    return len(rows), sum(a or 0 for _, a in rows), len({o for o, _ in rows})


SPINE = [[1, "2026-01-10T00:00:00Z"], [2, "2026-01-10T00:00:00Z"], [3, "2026-01-04T12:30:01Z"],
         [3, "2026-01-04T12:30:00Z"], [4, "2026-02-01T00:00:00Z"], [9, "2026-01-10T00:00:00Z"]]


def test_table_source_gives_the_training_set_of_the_same_rows_from_csv(postgres, tmp_path):
    create_table(postgres, "t_table", ROWS)
    repo = repo_for(tmp_path, postgres, source_yaml("orders", table="t_table"))
    p = run(repo, postgres, ["ingest", "orders"])
    assert "ingested postgres table 't_table': 5 rows into source 'orders'" in p.stdout, p.stdout
    rows, published = offline(repo)
    assert published == 1
    assert summary(rows) == database(postgres, "t_table")
    assert ("tab\there", -1e-7) in rows  # escapes of COPY's text format, exact floats
    _, from_db = fst.historical(repo, SPINE, tag="db")

    csv_repo = fst.make_repo(tmp_path / "csv", fst.SHOP_YAML)
    csv_rows = [[r[0], r[1], "" if r[2] is None else repr(r[2]), r[3].replace(" ", "T"),
                 r[4].replace(" ", "T")] for r in ROWS]
    fst.ingest(csv_repo, "orders", fst.write_csv(tmp_path / "orders.csv", fst.ORDERS_HEADER,
                                                 csv_rows))
    _, from_csv = fst.historical(csv_repo, SPINE, tag="csv")
    assert from_db == from_csv
    assert b"o4" in from_db and b"tab\there" in from_db

    # The lineage input is the table, named as OpenLineage names PostgreSQL datasets.
    db = sqlite3.connect(pathlib.Path(repo) / ".featherstone" / "registry.db")
    events = [json.loads(r[0]) for r in db.execute(
        "SELECT event_json FROM lineage_events WHERE job = 'ingest.orders'")]
    db.close()
    inputs = [i for e in events for i in e["inputs"]]
    assert {i["namespace"] for i in inputs} == {f"postgres://127.0.0.1:{postgres.port}"}
    assert {i["name"] for i in inputs} == {"postgres.t_table"}


def test_query_source_reads_the_query_columns(postgres, tmp_path):
    create_table(postgres, "t_query_raw", [])
    postgres.psql("DROP TABLE IF EXISTS t_query_people; "
                  "CREATE TABLE t_query_people (cid int, name text); "
                  "INSERT INTO t_query_people VALUES (1, 'ann'), (2, 'bob')")
    insert(postgres, "t_query_raw", ROWS)
    query = ("SELECT r.customer_id, p.name || '-' || r.order_id AS order_id, "
             "r.amount * 2 AS amount, r.event_ts, r.created_ts FROM t_query_raw r "
             "JOIN t_query_people p ON p.cid = r.customer_id;")
    repo = repo_for(tmp_path, postgres, source_yaml("orders", query=query))
    p = run(repo, postgres, ["ingest", "orders"])
    assert "ingested postgres query of source 'orders': 3 rows" in p.stdout, p.stdout
    rows, _ = offline(repo)
    assert rows == [("ann-o1", 21.0), ("ann-o3", None), ("bob-o2", 40.0)]

    # A declared column the query lacks is named, with the columns it has.
    bad = source_yaml("orders", query="SELECT customer_id, event_ts FROM t_query_raw")
    (repo / "featherstone.yaml").write_text(bad)
    run(repo, postgres, ["apply"])
    p = run(repo, postgres, ["ingest", "orders"], ok=1)
    assert ("postgres query of source 'orders': missing column 'order_id'; the query has: "
            "customer_id, event_ts") in p.stderr


def test_incremental_reads_only_rows_after_the_cursor(postgres, tmp_path):
    create_table(postgres, "t_incr", ROWS[:3], serial=True)
    yaml = source_yaml("orders", table="t_incr", cursor="created_ts")
    repo = repo_for(tmp_path, postgres, yaml)
    p = run(repo, postgres, ["ingest", "orders", "--incremental"])
    assert ": 3 rows" in p.stdout
    insert(postgres, "t_incr", ROWS[3:])
    p = run(repo, postgres, ["ingest", "orders", "--incremental"])
    assert ": 2 rows" in p.stdout, p.stdout
    p = run(repo, postgres, ["ingest", "orders", "--incremental"])
    assert ": 0 rows" in p.stdout, p.stdout
    # A row with a newer cursor value is read by the next run.
    insert(postgres, "t_incr", [(5, "o6", 1.0, "2026-01-09 00:00:00+00", "2026-01-09 00:00:00+00")])
    run(repo, postgres, ["ingest", "orders", "--incremental"])
    rows, published = offline(repo)
    assert published == 4
    assert summary(rows) == database(postgres, "t_incr")
    db = sqlite3.connect(pathlib.Path(repo) / ".featherstone" / "registry.db")
    assert db.execute("SELECT cursor_column, value FROM source_cursors").fetchall() == [
        ("created_ts", "2026-01-09 00:00:00+00")]
    db.close()

    # --incremental needs a cursor_column.
    (repo / "featherstone.yaml").write_text(source_yaml("orders", table="t_incr"))
    run(repo, postgres, ["apply"])
    p = run(repo, postgres, ["ingest", "orders", "--incremental"], ok=1)
    assert "source 'orders' has no cursor_column" in p.stderr


@pytest.mark.parametrize("point", ["ingest.before_publish", "ingest.after_part"])
def test_a_crash_between_read_and_publish_reads_the_same_rows_again(postgres, tmp_path, point):
    table = "t_crash_" + point.split(".")[1]
    create_table(postgres, table, ROWS[:2])
    repo = repo_for(tmp_path, postgres, source_yaml("orders", table=table, cursor="created_ts"))
    run(repo, postgres, ["ingest", "orders", "--incremental"])
    insert(postgres, table, ROWS[2:])
    p = fst.run(["ingest", "orders", "--incremental"], repo, ok=None,
                env={"PG_DSN": postgres.dsn(), "FST_KILL_POINT": point})
    assert p.returncode == -9, p.stderr  # SIGKILL
    rows, published = offline(repo)
    assert published == 1 and len(rows) == 2  # nothing of the killed run is visible
    p = run(repo, postgres, ["ingest", "orders", "--incremental"])
    assert ": 3 rows" in p.stdout, p.stdout
    rows, published = offline(repo)
    assert published == 2
    assert summary(rows) == database(postgres, table)  # each row exactly once


def test_contract_quarantines_rows_and_a_bad_value_names_row_and_column(postgres, tmp_path):
    create_table(postgres, "t_bad", ROWS)
    contract = ("    contract:\n      policy: quarantine\n      expectations:\n"
                "        - {expect: between, column: amount, min: 0, max: 1000000}\n")
    repo = repo_for(tmp_path, postgres, source_yaml("orders", table="t_bad", contract=contract))
    p = run(repo, postgres, ["ingest", "orders"])
    assert "4 rows into source 'orders'" in p.stdout and "1 rows quarantined" in p.stdout, p.stdout
    q = run(repo, postgres, ["quarantine", "list", "orders"]).stdout
    assert "postgres table 't_bad'" in q, q

    # A value the schema cannot take: text 'abc' for the int64 customer_id.
    (repo / "featherstone.yaml").write_text(source_yaml(
        "orders", query="SELECT CASE WHEN order_id = 'o3' THEN 'abc' ELSE customer_id::text "
                        "END AS customer_id, order_id, amount, event_ts, created_ts "
                        "FROM t_bad ORDER BY order_id"))
    run(repo, postgres, ["apply"])
    before = offline(repo)
    p = run(repo, postgres, ["ingest", "orders"], ok=1)
    assert ("postgres query of source 'orders': row 3, column 'customer_id': value 'abc' is "
            "not a valid int64") in p.stderr, p.stderr
    assert offline(repo) == before


def test_wrong_password_names_the_server_never_the_password(postgres, tmp_path):
    create_table(postgres, "t_login", ROWS[:1])
    repo = repo_for(tmp_path, postgres, source_yaml("orders", table="t_login"))
    p = run(repo, postgres, ["ingest", "orders"], ok=1, password="hunter2-wrong")
    assert (f"postgres table 't_login': cannot connect to PostgreSQL (host 127.0.0.1, port "
            f"{postgres.port}, database postgres, user fst)") in p.stderr, p.stderr
    assert "password authentication failed" in p.stderr
    assert "hunter2" not in p.stderr + p.stdout
    # Nothing listens there: the same names.
    (repo / "featherstone.yaml").write_text(source_yaml("orders", table="t_login").replace(
        "${PG_DSN}", "postgresql://fst:hunter2@127.0.0.1:1/db1"))
    run(repo, postgres, ["apply"])
    p = run(repo, postgres, ["ingest", "orders"], ok=1)
    assert "(host 127.0.0.1, port 1, database db1, user fst)" in p.stderr, p.stderr
    assert "hunter2" not in p.stderr
    # An unset variable is named.
    (repo / "featherstone.yaml").write_text(source_yaml("orders", table="t_login").replace(
        "${PG_DSN}", "${FST_TEST_UNSET_DSN}"))
    run(repo, postgres, ["apply"])
    p = run(repo, postgres, ["ingest", "orders"], ok=1)
    assert "the environment variable FST_TEST_UNSET_DSN is not set" in p.stderr


@pytest.mark.parametrize("change, message", [
    (lambda y: y.replace("    table: t\n", "    table: t\n    query: SELECT 1\n"),
     ":13:5: source 'orders' has both 'table' and 'query'; use one"),
    (lambda y: y.replace("    table: t\n", "    table: t\n    cursor_column: id\n"),
     ":13:20: 'cursor_column' of source 'orders': 'id' is not a column of the schema"),
    (lambda y: y.replace("    table: t\n", ""),
     ":11:5: source 'orders' needs 'table' or 'query'"),
    (lambda y: fst.SHOP_YAML.replace("    format: csv\n", "    format: csv\n    dsn: x\n"),
     ":12:5: 'dsn' in source 'orders' applies only to sources of kind postgres (this one is "
     "'file')"),
])
def test_wrong_keys_are_refused_where_they_are_written(tmp_path, change, message):
    repo = fst.make_repo(tmp_path / "shop", change(source_yaml("orders", table="t")), apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "featherstone.yaml" + message in p.stderr, p.stderr


def test_files_are_for_file_sources_only(postgres, tmp_path):
    repo = repo_for(tmp_path, postgres, source_yaml("orders", table="t_files"))
    p = run(repo, postgres, ["ingest", "orders", "x.csv"], ok=1)
    assert ("source 'orders' is of kind postgres: it reads table 't_files' from the database "
            "itself; run `featherstone ingest orders` without files (x.csv)") in p.stderr
    file_repo = fst.make_repo(tmp_path / "files", fst.SHOP_YAML)
    p = fst.run(["ingest", "orders"], file_repo, ok=1)
    assert ("source 'orders' (kind file) does not read its own input; name the input: "
            "featherstone ingest orders FILE...") in p.stderr, p.stderr


def test_the_example_in_docs_runs_as_written(postgres, tmp_path):
    """docs/connectors.md "PostgreSQL": its shell block, run against the test server (the
    export of PG_DSN pointed at it, `featherstone` being the binary under test)."""
    text = (fst.REPO_ROOT / "docs" / "connectors.md").read_text()
    section = text[text.index("## PostgreSQL"):]
    block = section[section.index("```sh\n") + 6:]
    block = block[:block.index("```\n")]
    lines = block.splitlines()
    assert lines[0].startswith("export PG_DSN=postgresql://fst:secret@127.0.0.1:5432/")
    lines[0] = f"export PG_DSN={postgres.dsn()}"
    postgres.psql("DROP TABLE IF EXISTS shop_orders")
    script = "set -e\nfeatherstone() { \"$FST\" \"$@\"; }\n" + "\n".join(lines) + "\n"
    p = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(os.environ, FST=fst.BIN), timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    ingested = [l for l in p.stdout.splitlines() if l.startswith("ingested")]
    assert [l.split(": ")[1].split(" rows")[0] for l in ingested] == ["3", "1"], p.stdout
    assert "25" in p.stdout.splitlines()[-1] or "25" in p.stdout, p.stdout


TYPES_YAML = """\
project: types
entities:
  - {name: thing, join_keys: [k]}
sources:
  - name: things
    kind: postgres
    dsn: ${PG_DSN}
    query: "SELECT k, flag, small, real4, num, day, naive_ts, event_ts, body, blob,
            to_json(vec)::text AS vec FROM t_types"
    timestamp_field: event_ts
    schema:
      - {name: k, type: int64}
      - {name: flag, type: bool, nullable: true}
      - {name: small, type: int32, nullable: true}
      - {name: real4, type: float32, nullable: true}
      - {name: num, type: float64, nullable: true}
      - {name: day, type: date, nullable: true}
      - {name: naive_ts, type: timestamp, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: body, type: string, nullable: true}
      - {name: blob, type: bytes, nullable: true}
      - {name: vec, type: list<float32>, dim: 2, nullable: true}
feature_views:
  - {name: f, entities: [thing], source: things, features: [{name: body}]}
"""


def test_values_of_each_type_decode_from_the_text_copy(postgres, tmp_path):
    postgres.psql(
        "DROP TABLE IF EXISTS t_types; CREATE TABLE t_types (k bigint, flag boolean, "
        "small int, real4 real, num numeric(12,3), day date, naive_ts timestamp, "
        "event_ts timestamptz, body text, blob bytea, vec real[]); "
        "INSERT INTO t_types VALUES "
        "(1, true, -7, 1.5, 12345.678, '2026-03-01', '2026-03-01 10:11:12.123456', "
        " '2026-03-01 10:00:00+02', E'line1\\nline2\\\\back\\ttab \u00e9\u00e8', "
        " '\\x00ff0a5c'::bytea, '{1.5,-2}'), "
        "(2, false, NULL, 'NaN', NULL, NULL, NULL, '2026-03-02 00:00:00+00', '', '', '{0,0.25}'), "
        "(3, NULL, 2147483647, '-Infinity', -0.001, '1999-12-31', NULL, "
        " '2026-03-03 00:00:00+00', NULL, NULL, NULL)")
    repo = fst.make_repo(tmp_path / "types", TYPES_YAML, apply=False)
    run(repo, postgres, ["apply"])
    run(repo, postgres, ["ingest", "things"])
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    [path] = [r[0] for r in db.execute("SELECT path FROM files WHERE source = 'things'")]
    db.close()
    rows = sorted(pq.read_table(repo / ".featherstone" / "offline" / path).to_pylist(),
                  key=lambda r: r["k"])
    first, second, third = rows
    assert first["flag"] is True and second["flag"] is False and third["flag"] is None
    assert (first["small"], second["small"], third["small"]) == (-7, None, 2147483647)
    assert first["real4"] == 1.5 and second["real4"] != second["real4"]  # NaN
    assert third["real4"] == float("-inf")
    assert (first["num"], second["num"], third["num"]) == (12345.678, None, -0.001)
    assert str(first["day"]) == "2026-03-01" and str(third["day"]) == "1999-12-31"
    assert first["naive_ts"].isoformat() == "2026-03-01T10:11:12.123456+00:00"
    assert first["event_ts"].isoformat() == "2026-03-01T08:00:00+00:00"
    assert first["body"] == "line1\nline2\\back\ttab \u00e9\u00e8"
    assert second["body"] in ("", None) and third["body"] is None
    assert first["blob"] == b"\x00\xff\x0a\x5c" and third["blob"] is None
    assert first["vec"] == [1.5, -2.0] and second["vec"] == [0.0, 0.25] and third["vec"] is None
