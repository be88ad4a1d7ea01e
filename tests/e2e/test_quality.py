"""Data contracts at ingestion (DESIGN section 5, docs/quality.md): quarantine, reject_batch,
replay exactly once, the circuit breaker across processes, validate, quality history and drift.
"""
import glob
import json
import pathlib
import sqlite3

import pyarrow.parquet as pq
import pytest

import fst

SCHEMA_END = "      - {name: created_ts, type: timestamp}\n"


def shop_yaml(contract):
    """fst.SHOP_YAML with `contract` (YAML under `contract:`, indented by 6) on orders."""
    assert SCHEMA_END in fst.SHOP_YAML
    body = "".join("      " + line + "\n" for line in contract.strip("\n").split("\n"))
    return fst.SHOP_YAML.replace(SCHEMA_END, SCHEMA_END + "    contract:\n" + body, 1)


def repo_with(tmp_path, contract, name="shop"):
    return fst.make_repo(tmp_path / name, shop_yaml(contract))


def orders(n, bad=(), customer=lambda i: i, amount=lambda i: 10.0 + i % 50, day=1):
    """n order rows for customers customer(i); rows in `bad` (1-based) get an empty amount."""
    rows = []
    for i in range(1, n + 1):
        rows.append([customer(i), f"o{day}-{i}", "" if i in bad else amount(i),
                     f"2026-01-{day:02d}T10:00:00Z", f"2026-01-{day:02d}T10:00:00Z"])
    return rows


def write(repo, name, rows):
    return fst.write_csv(pathlib.Path(repo) / "data" / name, fst.ORDERS_HEADER, rows)


def offline_rows(repo, source="orders"):
    """Rows in the published part files (no crash in these tests: every part is published)."""
    files = sorted(glob.glob(str(pathlib.Path(repo) / ".featherstone/offline" / source / "*.parquet")))
    return sum(pq.read_metadata(f).num_rows for f in files)


def quarantine_files(repo, source="orders"):
    return sorted(glob.glob(str(pathlib.Path(repo) / ".featherstone/quarantine" / source / "*.parquet")))


def quality_runs(repo, source="orders"):
    return json.loads(fst.run(["quality", source, "--json"], repo).stdout)


def test_contract_errors_name_the_line_with_a_hint(tmp_path):
    repo = fst.make_repo(tmp_path / "bad", shop_yaml(
        "expectations:\n  - {expect: not_nul, column: amount}"), apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "featherstone.yaml:22:" in p.stderr and "did you mean 'not_null'" in p.stderr, p.stderr
    (repo / "featherstone.yaml").write_text(shop_yaml(
        "expectations:\n  - {expect: between, column: amount, mni: 0}"))
    p = fst.run(["apply"], repo, ok=1)
    assert "unknown key 'mni'" in p.stderr and "did you mean 'min'" in p.stderr, p.stderr


def test_contract_is_versioned_like_any_definition(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n  - {expect: not_null, column: amount}")
    (repo / "featherstone.yaml").write_text(shop_yaml(
        "expectations:\n  - {expect: not_null, column: amount, mostly: 0.9}"))
    assert "~ source orders (contract changed)" in fst.run(["plan"], repo).stdout
    fst.run(["apply"], repo)
    described = fst.run(["describe", "orders", "--json"], repo).stdout
    assert '"mostly": 0.9' in described
    assert "  v2  " in fst.run(["describe", "orders"], repo).stdout


def test_one_percent_nulls_are_quarantined_row_by_row(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n  - {expect: not_null, column: amount}")
    bad = set(range(100, 1001, 100))  # 1% of 1000 rows
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(1000, bad)))
    assert "990 rows into source 'orders'" in p.stdout and "10 rows quarantined" in p.stdout, p.stdout
    assert "not_null(amount): 10 of 1000 rows (1%) fail; first at row 100" in p.stderr
    assert offline_rows(repo) == 990

    shown = fst.run(["quarantine", "show", "orders"], repo).stdout.splitlines()
    header, lines = shown[0].split(), shown[1:]
    assert header[:5] == ["__ingest", "__row", "__replayed", "__rules", "__reasons"]
    assert [int(line.split()[1]) for line in lines] == sorted(bad)
    assert all("not_null(amount)" in line and "amount is null" in line for line in lines)
    listed = fst.run(["quarantine", "list", "orders"], repo).stdout
    assert "10 rows waiting" in listed

    # The good rows are visible; a quarantined customer has no row at all.
    rows, _ = fst.historical(repo, [[99, "2026-01-02T00:00:00Z"], [100, "2026-01-02T00:00:00Z"]])
    assert fst.num(rows[0]["amount"]) == 10.0 + 99 % 50 and rows[1]["amount"] is None

    run = quality_runs(repo)[-1]
    assert run["outcome"] == "written" and run["rows"] == 1000 and run["quarantined"] == 10
    result = run["result"]
    assert result["success"] is False
    assert set(result["statistics"]) == {"evaluated_expectations", "successful_expectations",
                                         "unsuccessful_expectations", "success_percent"}
    not_null = [r for r in result["results"]
                if r["expectation_config"]["meta"]["rule"] == "not_null(amount)"][0]
    assert not_null["expectation_config"]["expectation_type"] == "expect_column_values_to_not_be_null"
    assert not_null["result"]["unexpected_count"] == 10
    assert not_null["result"]["unexpected_percent"] == pytest.approx(1.0)
    assert not_null["result"]["partial_unexpected_list"] == [None] * 10
    assert run["metrics"]["columns"]["amount"]["null_rate"] == pytest.approx(0.01)


def test_mostly_tolerance_keeps_the_rows(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n  - {expect: not_null, column: amount, mostly: 0.99}")
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(1000, set(range(100, 1001, 100)))))
    assert "1000 rows into source 'orders'" in p.stdout and "0 rows quarantined" in p.stdout
    assert offline_rows(repo) == 1000 and quarantine_files(repo) == []
    p = fst.ingest(repo, "orders", write(repo, "b.csv", orders(1000, set(range(50, 1001, 50)), day=2)))
    assert "980 rows into source 'orders'" in p.stdout and "20 rows quarantined" in p.stdout


def test_warn_level_only_warns(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n"
                               "  - {expect: between, column: amount, max: 20, severity: warn}")
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(100)))
    assert "100 rows into source 'orders'" in p.stdout and "0 rows quarantined" in p.stdout
    assert "warning: between(amount):" in p.stderr


def test_reject_batch_writes_nothing(tmp_path):
    repo = repo_with(tmp_path, "policy: reject_batch\n"
                               "expectations:\n  - {expect: not_null, column: amount}")
    path = write(repo, "a.csv", orders(200, {7}))
    p = fst.ingest(repo, "orders", path, ok=1)
    assert "rejected by the contract of source 'orders' (policy reject_batch)" in p.stderr
    assert "not_null(amount): 1 of 200 rows" in p.stderr and "first at row 7" in p.stderr
    assert offline_rows(repo) == 0 and quarantine_files(repo) == []
    assert quality_runs(repo)[-1]["outcome"] == "rejected"
    # A fixed file goes in.
    fst.ingest(repo, "orders", write(repo, "b.csv", orders(200)))
    assert offline_rows(repo) == 200


def test_failed_run_level_rule_rejects_the_file(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n"
                               "  - {expect: null_rate_max, column: amount, max: 0.01}\n"
                               "  - {expect: row_count_between, min: 10}")
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(100, {1, 2})), ok=1)
    assert "null_rate_max(amount): null rate 2% > max 1%" in p.stderr, p.stderr
    assert offline_rows(repo) == 0
    p = fst.ingest(repo, "orders", write(repo, "b.csv", orders(5)), ok=1)
    assert "row_count_between: 5 rows, expected at least 10" in p.stderr
    fst.ingest(repo, "orders", write(repo, "c.csv", orders(100, {1})))
    assert offline_rows(repo) == 100


def test_replay_after_a_contract_fix_writes_each_row_once(tmp_path):
    contract = "expectations:\n  - {expect: between, column: amount, min: 0}"
    repo = repo_with(tmp_path, contract)
    negative = {3, 30, 300}
    amount = lambda i: -5.0 if i in negative else 1.0 + i
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(500, amount=amount)))
    assert "497 rows" in p.stdout and "3 rows quarantined" in p.stdout
    # Nothing passes yet: replay leaves the rows where they are.
    p = fst.run(["quarantine", "replay", "orders"], repo)
    assert "replayed 0 of 3" in p.stdout and "3 still fail" in p.stdout

    (repo / "featherstone.yaml").write_text(shop_yaml(contract.replace("min: 0", "min: -10")))
    fst.run(["apply"], repo)
    p = fst.run(["quarantine", "replay", "orders"], repo)
    assert "replayed 3 of 3" in p.stdout, p.stdout
    assert offline_rows(repo) == 500
    assert "Nothing to replay" in fst.run(["quarantine", "replay", "orders"], repo).stdout
    assert offline_rows(repo) == 500
    assert "0 rows waiting" in fst.run(["quarantine", "list", "orders"], repo).stdout
    shown = fst.run(["quarantine", "show", "orders", "--all"], repo).stdout.splitlines()[1:]
    assert len(shown) == 3 and all(line.split()[2] == "yes" for line in shown)
    rows, _ = fst.historical(repo, [[c, "2026-01-02T00:00:00Z"] for c in sorted(negative)])
    assert [fst.num(r["amount"]) for r in rows] == [-5.0, -5.0, -5.0]
    assert quality_runs(repo)[-1]["outcome"] == "replay"


def test_non_nullable_and_required_columns_quarantine_instead_of_failing(tmp_path):
    repo = repo_with(tmp_path, "expectations: []")
    rows = orders(20)
    rows[4][0] = ""  # customer_id, a join key
    rows[9][3] = ""  # event_ts
    p = fst.ingest(repo, "orders", write(repo, "a.csv", rows))
    assert "18 rows" in p.stdout and "2 rows quarantined" in p.stdout
    reasons = fst.run(["quarantine", "show", "orders"], repo).stdout
    assert "customer_id is null (a join key is required)" in reasons
    assert "event_ts is null (the event time is required)" in reasons


BREAKER = ("breaker: {threshold: 0.2, half_open_after: 1h}\n"
           "expectations:\n  - {expect: not_null, column: amount}")


def let_probe_time_come(repo, source="orders"):
    """Moves the open breaker's opening two hours back, past half_open_after (1h): the next
    run is the probe, without a wait that a loaded machine could overrun."""
    db = sqlite3.connect(repo / ".featherstone" / "registry.db")
    with db:
        db.execute("UPDATE breakers SET opened_at = opened_at - 7200000000, "
                   "changed_at = changed_at - 7200000000 WHERE source = ?", (source,))
    db.close()


def test_breaker_opens_above_the_threshold_and_nothing_is_visible(tmp_path):
    repo = repo_with(tmp_path, BREAKER)
    # Exactly at the threshold (20%): quarantined, breaker stays closed.
    p = fst.ingest(repo, "orders", write(repo, "a.csv", orders(10, {1, 2}, customer=lambda i: 100 + i)))
    assert "8 rows" in p.stdout
    assert "CLOSED" in fst.run(["breaker", "status", "orders"], repo).stdout
    # Above it: the run writes nothing, offline or online, and the breaker opens.
    bad = write(repo, "b.csv", orders(10, {1, 2, 3}, customer=lambda i: 200 + i, day=2))
    p = fst.ingest(repo, "orders", bad, ok=1)
    assert "30% of the rows (3 of 10)" in p.stderr and "is now OPEN" in p.stderr, p.stderr
    assert "featherstone breaker reset orders" in p.stderr
    assert offline_rows(repo) == 8 and len(quarantine_files(repo)) == 1
    rows, _ = fst.historical(repo, [[204, "2026-01-03T00:00:00Z"]])
    assert rows[0]["amount"] is None
    fst.run(["materialize", "--end", "2026-01-03T00:00:00Z"], repo)
    online = fst.online(repo, [{"customer_id": 204}, {"customer_id": 105}], at="2026-01-03T00:00:00Z")
    assert fst.feature(online[0], "customer_features", "amount") is None
    assert fst.feature(online[1], "customer_features", "amount") is not None
    assert quality_runs(repo)[-1]["outcome"] == "breaker_opened"


def test_breaker_survives_a_restart_and_closes_after_a_passing_probe(tmp_path):
    repo = repo_with(tmp_path, BREAKER)
    fst.ingest(repo, "orders", write(repo, "bad.csv", orders(10, {1, 2, 3, 4})), ok=1)
    good = write(repo, "good.csv", orders(10, day=2))
    # Every command is a new process: the state comes from the registry.
    p = fst.ingest(repo, "orders", good, ok=1)
    assert "circuit breaker is OPEN since" in p.stderr
    assert "A probe run will be allowed from" in p.stderr
    assert "`featherstone breaker reset orders`" in p.stderr
    status = fst.run(["breaker", "status"], repo).stdout
    assert "orders" in status and "OPEN" in status and "bad share 0.4 > threshold 0.2" in status
    let_probe_time_come(repo)
    assert "HALF_OPEN" in fst.run(["breaker", "status", "orders"], repo).stdout
    p = fst.ingest(repo, "orders", good)
    assert "breaker probe passed, breaker CLOSED" in p.stdout, p.stdout
    assert "CLOSED" in fst.run(["breaker", "status", "orders"], repo).stdout
    assert offline_rows(repo) == 10


def test_failed_probe_reopens_and_reset_closes(tmp_path):
    repo = repo_with(tmp_path, BREAKER)
    fst.ingest(repo, "orders", write(repo, "bad.csv", orders(10, {1, 2, 3})), ok=1)
    let_probe_time_come(repo)
    p = fst.ingest(repo, "orders", write(repo, "bad2.csv", orders(10, {1, 2, 3}, day=2)), ok=1)
    assert "the probe failed and the circuit breaker stays OPEN" in p.stderr, p.stderr
    assert "probe failed" in fst.run(["breaker", "status", "orders"], repo).stdout
    fst.ingest(repo, "orders", write(repo, "good.csv", orders(10, day=3)), ok=1)
    p = fst.run(["breaker", "reset", "orders"], repo)
    assert "CLOSED" in p.stdout
    fst.ingest(repo, "orders", write(repo, "good.csv", orders(10, day=3)))
    assert offline_rows(repo) == 10


def test_validate_is_a_dry_run_printing_the_result(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n"
                               "  - {expect: not_null, column: amount}\n"
                               "  - {expect: unique, columns: [customer_id, order_id]}")
    good = write(repo, "good.csv", orders(50))
    p = fst.run(["validate", "orders", good], repo)
    result = json.loads(p.stdout)
    assert result["success"] is True
    assert result["statistics"]["evaluated_expectations"] == 4  # + implicit customer_id, event_ts
    assert result["statistics"]["success_percent"] == 100.0
    assert result["meta"]["metrics"]["row_count"] == 50
    bad = write(repo, "bad.csv", orders(50, {5}) + orders(1))
    p = fst.run(["validate", "orders", bad], repo, ok=1)
    result = json.loads(p.stdout)
    assert result["success"] is False and result["meta"]["bad_rows"] == 2
    types = {r["expectation_config"]["expectation_type"]: r for r in result["results"]}
    unique = types["expect_compound_columns_to_be_unique"]
    assert unique["expectation_config"]["kwargs"]["column_list"] == ["customer_id", "order_id"]
    assert unique["result"]["partial_unexpected_list"] == [[1, "o1-1"]]
    assert unique["result"]["partial_unexpected_index_list"] == [51]
    for r in result["results"]:
        assert {"element_count", "unexpected_count", "unexpected_percent",
                "partial_unexpected_list"} <= set(r["result"])
    assert "2 error-level expectations of source 'orders' failed" in p.stderr
    assert offline_rows(repo) == 0 and quality_runs(repo) == []


def test_quality_history_reports_drift(tmp_path):
    repo = repo_with(tmp_path, "expectations:\n  - {expect: not_null, column: amount, mostly: 0.5}")
    fst.ingest(repo, "orders", write(repo, "a.csv", orders(200, day=1)))
    fst.ingest(repo, "orders", write(repo, "b.csv", orders(200, day=2)))
    shifted = orders(15, bad=set(range(1, 4)), amount=lambda i: 500.0 + i, day=3)
    fst.ingest(repo, "orders", write(repo, "c.csv", shifted))
    out = fst.run(["quality", "orders"], repo).stdout
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["RUN", "TIME", "SOURCE", "INPUT", "OUTCOME"]
    assert len([l for l in lines if " written " in l]) == 3
    assert "Drift between consecutive runs" in out
    assert "row count 200 -> 15" in out
    assert "amount: null rate 0% -> 20%" in out
    assert "amount: mean" in out and "previous standard deviations" in out
    assert "(orders, " in out and "b.csv" not in out.split("Drift")[1]
    assert "unknown source 'customer_features'" in fst.run(["quality", "customer_features"],
                                                           repo, ok=1).stderr


def test_every_new_command_has_help_with_an_example():
    for args in (["validate"], ["quarantine"], ["quarantine", "list"], ["quarantine", "show"],
                 ["quarantine", "replay"], ["breaker"], ["breaker", "status"],
                 ["breaker", "reset"], ["quality"]):
        p = fst.run(args + ["--help"])
        assert "Example: featherstone" in p.stdout, args


EVOLVE_V1 = """\
project: shop
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int32}
      - {name: qty, type: int32}
      - {name: amount, type: float32}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 0
    online: true
    features:
      - {name: qty}
      - {name: amount}
      - {name: spend_7d, agg: sum, column: amount, window: 7d}
"""


def test_schema_evolution_widening_and_a_new_nullable_column_keep_old_files_readable(tmp_path):
    repo = fst.make_repo(tmp_path / "evolve", EVOLVE_V1)
    old = fst.write_csv(repo / "data" / "old.csv", ["customer_id", "qty", "amount", "event_ts"],
                        [[1, 2, 1.5, "2026-01-01T00:00:00Z"], [2, 7, 2.25, "2026-01-01T00:00:00Z"]])
    fst.ingest(repo, "orders", old)
    v2 = (EVOLVE_V1.replace("{name: customer_id, type: int32}", "{name: customer_id, type: int64}")
          .replace("{name: qty, type: int32}", "{name: qty, type: int64}")
          .replace("{name: amount, type: float32}", "{name: amount, type: float64}")
          .replace("      - {name: event_ts, type: timestamp}\n",
                   "      - {name: event_ts, type: timestamp}\n"
                   "      - {name: discount, type: float64, nullable: true}\n")
          + "      - {name: discount}\n")
    (repo / "featherstone.yaml").write_text(v2)
    plan = fst.run(["plan"], repo).stdout
    assert ("~ source orders (column customer_id changed; column qty changed; column amount "
            "changed; column discount added)") in plan
    assert "note: source 'orders': column 'qty' widens int32 -> int64" in plan
    assert "note: source 'orders': column 'discount' is added; old files read it as nulls" in plan
    fst.run(["apply"], repo)
    new = fst.write_csv(repo / "data" / "new.csv",
                        ["customer_id", "qty", "amount", "event_ts", "discount"],
                        [[2, 3000000000, 0.1, "2026-01-02T00:00:00Z", 0.5],
                         [3, 1, 4.0, "2026-01-02T00:00:00Z", ""]])
    fst.ingest(repo, "orders", new)
    spine = [[1, "2026-01-03T00:00:00Z"], [2, "2026-01-03T00:00:00Z"], [3, "2026-01-03T00:00:00Z"]]
    rows, _ = fst.historical(
        repo, spine,
        features="customer_features:qty,customer_features:amount,customer_features:discount,"
                 "customer_features:spend_7d")
    assert [r["qty"] for r in rows] == ["2", "3000000000", "1"]
    assert [fst.num(r["amount"]) for r in rows] == [1.5, 0.1, 4.0]
    assert [r["discount"] for r in rows] == [None, "0.5", None]
    assert fst.same_number(rows[1]["spend_7d"], 2.25 + 0.1)
    fst.run(["materialize", "--end", "2026-01-03T00:00:00Z"], repo)
    online = fst.online(repo, [{"customer_id": 1}, {"customer_id": 2}],
                        features="customer_features:qty,customer_features:discount",
                        at="2026-01-03T00:00:00Z")
    assert fst.feature(online[0], "customer_features", "qty") == 2
    assert fst.feature(online[0], "customer_features", "discount") is None
    assert fst.feature(online[1], "customer_features", "discount") == 0.5


def test_schema_evolution_refuses_removing_renaming_or_narrowing_a_used_column(tmp_path):
    repo = fst.make_repo(tmp_path / "evolve", EVOLVE_V1)
    fst.ingest(repo, "orders", fst.write_csv(repo / "data" / "old.csv",
                                             ["customer_id", "qty", "amount", "event_ts"],
                                             [[1, 2, 1.5, "2026-01-01T00:00:00Z"]]))
    renamed = (EVOLVE_V1.replace("{name: amount, type: float32}", "{name: amount_usd, type: float32}")
               .replace("- {name: amount}", "- {name: amount, column: amount_usd}")
               .replace("column: amount, window", "column: amount_usd, window"))
    (repo / "featherstone.yaml").write_text(renamed)
    p = fst.run(["plan"], repo, ok=1)
    assert ("source 'orders': column 'amount' is removed or renamed, but feature "
            "customer_features:amount and feature customer_features:spend_7d use it") in p.stderr
    p = fst.run(["apply"], repo, ok=1)
    assert "schema change refused" in p.stderr
    assert "v2" not in fst.run(["describe", "orders"], repo).stdout

    narrowed = EVOLVE_V1.replace("{name: qty, type: int32}", "{name: qty, type: string}")
    (repo / "featherstone.yaml").write_text(narrowed)
    p = fst.run(["apply"], repo, ok=1)
    assert ("column 'qty' changes int32 -> string, but feature customer_features:qty uses it"
            in p.stderr), p.stderr
    key = EVOLVE_V1.replace("{name: customer_id, type: int32}", "{name: customer_id, type: float32}")
    (repo / "featherstone.yaml").write_text(key)
    p = fst.run(["apply"], repo, ok=1)
    assert "join key 'customer_id' of feature_view customer_features uses it" in p.stderr

    # Dropping the column together with every feature that reads it is fine.
    dropped = (EVOLVE_V1.replace("      - {name: amount, type: float32}\n", "")
               .replace("      - {name: amount}\n", "")
               .replace("      - {name: spend_7d, agg: sum, column: amount, window: 7d}\n", ""))
    (repo / "featherstone.yaml").write_text(dropped)
    p = fst.run(["apply"], repo)
    assert "note: source 'orders': column 'amount' is removed; no feature reads it" in p.stdout


@pytest.mark.parametrize("point", ["ingest.after_part", "ingest.before_publish"])
def test_a_crash_leaves_neither_good_nor_quarantined_rows(tmp_path, point):
    repo = repo_with(tmp_path, "expectations:\n  - {expect: not_null, column: amount}")
    path = write(repo, "a.csv", orders(100, {10, 20}))
    p = fst.ingest(repo, "orders", path, env={"FST_KILL_POINT": point}, ok=None)
    assert p.returncode == -9, (p.returncode, p.stderr)
    assert "No quarantined rows" in fst.run(["quarantine", "list", "orders"], repo).stdout
    rows, _ = fst.historical(repo, [[1, "2026-01-02T00:00:00Z"]])
    assert rows[0]["amount"] is None
    assert quality_runs(repo) == []
    p = fst.ingest(repo, "orders", path)
    assert "98 rows" in p.stdout and "2 rows quarantined" in p.stdout
    assert "2 rows waiting" in fst.run(["quarantine", "list", "orders"], repo).stdout
    rows, _ = fst.historical(repo, [[1, "2026-01-02T00:00:00Z"]])
    assert rows[0]["amount"] is not None
