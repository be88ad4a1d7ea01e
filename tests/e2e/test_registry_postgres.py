"""The registry on PostgreSQL (`registry: postgresql://...`) against the session's real server
(fixture `postgres`, pg_server.py): the shop repo gives the same answers as on SQLite, a SQLite
registry migrated there continues with the same answers, two processes applying at once
never leave a torn registry, and a wrong password is refused without being shown.
"""
import datetime as dt
import itertools
import subprocess

import fst

UTC = dt.timezone.utc
BASE = dt.datetime(2026, 3, 1, tzinfo=UTC)
END = BASE + dt.timedelta(days=10)
_databases = itertools.count(1)


def orders(first_day, n=40):
    rows = []
    for i in range(n):
        event = BASE + dt.timedelta(days=first_day, hours=7 * i)
        rows.append([1 + i % 7, f"o{first_day}-{i}", round(3.5 * i + first_day, 2),
                     fst.iso(event), fst.iso(event + dt.timedelta(minutes=5))])
    return rows


SPINE = [[c, fst.iso(BASE + dt.timedelta(days=d))] for c in range(1, 9) for d in (2, 5, 9)]


def new_database(postgres):
    """An empty database on the server; its URI."""
    name = f"registry_e2e_{next(_databases)}"
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.dsn().rsplit("/", 1)[0] + "/" + name


def shop_on(repo, registry):
    yaml = fst.SHOP_YAML.replace("registry: sqlite", f"registry: {registry}")
    return fst.make_repo(repo, yaml, apply=False)


def run_shop(repo):
    """apply, ingest, materialize, historical, online: what each printed or wrote."""
    out = {"apply": fst.run(["apply"], repo).stdout}
    data = fst.write_csv(repo / "data" / "orders.csv", fst.ORDERS_HEADER, orders(0))
    out["ingest"] = fst.ingest(repo, "orders", data).stdout.replace(str(repo), "REPO")
    out["materialize"] = fst.run(["materialize", "--end", fst.iso(END)], repo).stdout
    out["historical"] = fst.historical(repo, SPINE)[1]
    out["online"] = fst.online(repo, [{"customer_id": c} for c in range(1, 9)])
    return out


def test_shop_on_postgres_answers_as_on_sqlite(postgres, tmp_path, monkeypatch):
    on_sqlite = run_shop(shop_on(tmp_path / "a" / "shop", "sqlite"))
    # The password from the environment, not the YAML.
    monkeypatch.setenv("FST_TEST_PG_PASSWORD", postgres.password)
    url = new_database(postgres).replace(postgres.password, "${FST_TEST_PG_PASSWORD}")
    repo = shop_on(tmp_path / "b" / "shop", url)
    on_postgres = run_shop(repo)
    assert on_postgres == on_sqlite
    assert not (repo / ".featherstone" / "registry.db").exists()
    # Ingesting the same file again is recognised from the manifest on the server.
    again = fst.ingest(repo, "orders", repo / "data" / "orders.csv").stdout
    assert "already" in again, again


def test_migrated_registry_continues_on_postgres(postgres, tmp_path):
    repo = shop_on(tmp_path / "shop", "sqlite")
    run_shop(repo)
    before = fst.historical(repo, SPINE, tag="before")[1]
    url = new_database(postgres)
    p = fst.run(["registry", "migrate", "--to", url], repo)
    assert "copied" in p.stdout and "ingests: 1 rows" in p.stdout, p.stdout
    assert postgres.password not in p.stdout + p.stderr
    (repo / "featherstone.yaml").write_text(
        (repo / "featherstone.yaml").read_text().replace("registry: sqlite", f"registry: {url}"))
    assert fst.historical(repo, SPINE, tag="after")[1] == before
    assert "no changes" in fst.run(["plan"], repo).stdout.lower()
    # It continues there: a second ingest and a materialization on PostgreSQL.
    more = fst.write_csv(repo / "data" / "more.csv", fst.ORDERS_HEADER, orders(4))
    fst.ingest(repo, "orders", more)
    fst.run(["materialize", "--end", fst.iso(END)], repo)
    after = fst.historical(repo, SPINE, tag="more")[0]
    assert after != fst.read_csv(tmp_path / "shop-before" / "out.csv")
    # A second migrate into the same (now used) database is refused, nothing copied.
    sqlite_repo = shop_on(tmp_path / "other", "sqlite")
    fst.run(["apply"], sqlite_repo)
    p = fst.run(["registry", "migrate", "--to", url], sqlite_repo, ok=1)
    assert "not an empty registry" in p.stderr, p.stderr
    assert postgres.password not in p.stderr


def query(postgres, url, sql):
    """Rows of `sql` in the database of `url`, as lists of strings."""
    args, env = postgres.psql_args()
    args[args.index("-d") + 1] = url.rsplit("/", 1)[1]
    p = subprocess.run(["psql", *args, "-q", "-A", "-t", "-F", "|", "-c", sql],
                       capture_output=True, text=True, env=env, timeout=60, check=True)
    return [line.split("|") for line in p.stdout.splitlines() if line]


def test_two_processes_applying_at_once_leave_one_whole_set(postgres, tmp_path):
    url = new_database(postgres)
    a = shop_on(tmp_path / "a", url)
    b_yaml = fst.SHOP_YAML.replace("registry: sqlite", f"registry: {url}").replace(
        "ttl: 30d", "ttl: 3d")
    b_yaml += "  - name: upsell_model\n    features: [customer_features:amount]\n"
    b = fst.make_repo(tmp_path / "b", b_yaml, apply=False)
    latest = ("SELECT name, spec_json, removed FROM objects o WHERE version = "
              "(SELECT MAX(version) FROM objects WHERE kind = o.kind AND name = o.name) "
              "AND name IN ('customer_features', 'upsell_model') ORDER BY name")
    for _ in range(5):
        procs = [subprocess.Popen([fst.BIN, "-C", str(r), "apply"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for r in (a, b)]
        for p in procs:
            _, err = p.communicate(timeout=fst.TIMEOUT)
            assert p.returncode == 0, err
        rows = {name: (spec, removed) for name, spec, removed in query(postgres, url, latest)}
        b_won = '"3d"' in rows["customer_features"][0]
        # Whole sets only: b's ttl comes with b's second service, a's without it.
        assert rows["upsell_model"][1] == ("0" if b_won else "1"), rows
    versions = query(postgres, url, "SELECT kind, name, COUNT(*), MAX(version) FROM objects "
                                    "GROUP BY kind, name")
    assert all(count == top for _, _, count, top in versions), versions


def test_wrong_password_is_refused_without_showing_it(postgres, tmp_path):
    url = new_database(postgres).replace(postgres.password, "Wr0ng-pass-77")
    repo = shop_on(tmp_path / "shop", url)
    p = fst.run(["apply"], repo, ok=1)
    assert "Wr0ng-pass-77" not in p.stdout + p.stderr
    assert "password authentication failed" in p.stderr, p.stderr
    assert ":***@127.0.0.1" in p.stderr, p.stderr
