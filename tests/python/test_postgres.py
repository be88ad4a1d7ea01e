"""fs.ingest(source) for a `kind: postgres` source: the library call `featherstone ingest
SOURCE [--incremental]` makes, against a real server on loopback (tests/e2e/pg_server.py)."""
import pathlib
import sys

import pytest

import featherstone as fst

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import pg_server  # noqa: E402

YAML = """\
project: pgshop
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    kind: postgres
    dsn: ${FST_PY_PG_DSN}
    table: py_orders
    cursor_column: id
    timestamp_field: event_ts
    schema:
      - {name: id, type: int64}
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: spend
    entities: [customer]
    source: orders
    features:
      - {name: amount}
"""


@pytest.fixture(scope="module")
def postgres():
    missing = pg_server.missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/setup installs them)")
    with pg_server.running_server() as server:
        yield server


def test_ingest_without_data_reads_the_table_incrementally(postgres, tmp_path, monkeypatch):
    postgres.psql("DROP TABLE IF EXISTS py_orders; CREATE TABLE py_orders (id bigserial, "
                  "customer_id bigint, amount double precision, event_ts timestamptz); "
                  "INSERT INTO py_orders (customer_id, amount, event_ts) VALUES "
                  "(1, 10.5, '2026-01-01Z'), (2, 20, '2026-01-02Z')")
    monkeypatch.setenv("FST_PY_PG_DSN", postgres.dsn())
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(repo)
    fs.apply()
    first = fs.ingest("orders", incremental=True)
    assert (first.rows, first.input) == (2, "postgres table 'py_orders'")
    postgres.psql("INSERT INTO py_orders (customer_id, amount, event_ts) VALUES "
                  "(1, 5, '2026-01-03Z')")
    assert fs.ingest("orders", incremental=True).rows == 1
    assert fs.ingest("orders").rows == 3  # the whole table
    with pytest.raises(TypeError):
        fs.ingest("orders", "x.csv", incremental=True)

    monkeypatch.setenv("FST_PY_PG_DSN", postgres.dsn(password="wrong-pw-1234"))
    with pytest.raises(Exception) as error:
        fs.ingest("orders")
    assert f"port {postgres.port}, database postgres, user fst" in str(error.value)
    assert "wrong-pw-1234" not in str(error.value)
