"""Definitions made in Python: canonical YAML, same registry objects as YAML, errors."""

import datetime as dt
import inspect

import pyarrow as pa
import pytest

import featherstone as fst
import shop


def hashes(objects):
    return {(o.kind, o.name): o.hash for o in objects}


def line_of(marker, fn):
    """The absolute line number of the line holding `marker` in function `fn`'s source."""
    lines, start = inspect.getsourcelines(fn)
    for i, text in enumerate(lines):
        if marker in text:
            return start + i
    raise AssertionError(marker)


def test_python_and_yaml_definitions_have_equal_spec_hashes(tmp_path, yaml_repo):
    fs = fst.FeatureStore(tmp_path / "py")
    shop.define_shop(fs)
    from_python = hashes(fs.spec_objects())
    from_yaml = hashes(fst.FeatureStore(yaml_repo).spec_objects())
    assert from_python == from_yaml
    assert set(from_python) == {("entity", "customer"), ("source", "orders"),
                                ("feature_view", "customer_features"),
                                ("feature_service", "churn_model")}


def test_python_plan_is_empty_after_the_cli_applied_the_yaml_twin(yaml_repo, cli_bin):
    shop.cli(["apply"], yaml_repo)
    (yaml_repo / "featherstone.yaml").unlink()
    fs = fst.FeatureStore(yaml_repo)
    shop.define_shop(fs)
    assert fs.plan() == []
    cli_hashes = {}
    for line in shop.cli(["list"], yaml_repo).stdout.splitlines()[1:]:
        kind, name, _version, short_hash = line.split()
        if not name.endswith("__log"):  # made by apply from the service, not declared
            cli_hashes[(kind, name)] = short_hash
    assert {k: h[:12] for k, h in hashes(fs.spec_objects()).items()} == cli_hashes


ALL_KINDS_YAML = """\
project: kinds
entities:
  - name: customer
    join_keys: [customer_id]
  - name: store
    join_keys: [store_id]
    description: "A shop, with \\"quotes\\": and colons"
sources:
  - name: orders
    kind: file
    format: parquet
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64, nullable: false}
      - {name: store_id, type: string}
      - {name: order_id, type: string}
      - {name: amount, type: float64}
      - {name: score, type: float32}
      - {name: qty, type: int32}
      - {name: paid, type: bool}
      - {name: day, type: date}
      - {name: embedding, type: list<float32>, dim: 4}
      - {name: tags, type: list<string>}
      - {name: raw, type: bytes}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer, store]
    source: orders
    ttl: 2w
    online: false
    features:
      - {name: amount, description: "the order's amount"}
      - {name: spend, column: amount}
      - {name: amount_cents, expr: "amount * 100"}
      - {name: purchase_frequency_30d, agg: count, column: order_id, window: 30d}
      - {name: orders_7d, agg: count, window: 7d}
      - {name: average_order_value, agg: avg, column: amount, window: 365d}
      - {name: last_order_ts, agg: last, column: event_ts, window: 365d}
      - {name: churn_risk_score, expr: "1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))"}
    description: Customer spend
feature_services:
  - name: churn_model
    features: [customer_features:purchase_frequency_30d, customer_features:churn_risk_score]
    description: the churn model
"""


def define_all_kinds(fs):
    customer = fst.Entity("customer", join_keys="customer_id")
    store = fst.Entity("store", ["store_id"], description='A shop, with "quotes": and colons')
    orders = fst.FileSource("orders", schema=[
        ("customer_id", int, False), ("store_id", str), ("order_id", pa.string()),
        ("amount", float), ("score", pa.float32()), ("qty", pa.int32()), ("paid", bool),
        ("day", dt.date), ("embedding", pa.list_(pa.float32(), 4)), ("tags", "list<string>"),
        ("raw", bytes), ("event_ts", pa.timestamp("us", tz="UTC"))],
        timestamp_field="event_ts", format="parquet")

    @fs.feature_view(entities=[customer, store], source=orders, ttl=dt.timedelta(days=14),
                     online=False)
    def customer_features(o):
        """Customer spend"""
        return {
            "amount": o.amount.describe("the order's amount"),
            "spend": o["amount"],
            "amount_cents": o.amount * 100,
            "purchase_frequency_30d": fst.count(o.order_id, window="30d"),
            "orders_7d": fst.count(window=dt.timedelta(weeks=1)),
            "average_order_value": fst.avg(o.amount, window="365d"),
            "last_order_ts": fst.last("event_ts", window=365 * 86400),
            "churn_risk_score": fst.expr(
                "1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))"),
        }

    fs.feature_service("churn_model", [customer_features["purchase_frequency_30d"],
                                       "customer_features:churn_risk_score"],
                       description="the churn model")
    return customer_features


def test_every_kind_of_declaration_matches_its_yaml(tmp_path):
    yaml_dir = tmp_path / "yaml"
    yaml_dir.mkdir()
    (yaml_dir / "featherstone.yaml").write_text(ALL_KINDS_YAML)
    fs = fst.FeatureStore(tmp_path / "py", project="kinds")
    view = define_all_kinds(fs)
    assert view.name == "customer_features"
    assert view.description == "Customer spend"
    assert hashes(fs.spec_objects()) == hashes(fst.FeatureStore(yaml_dir).spec_objects())


def test_to_yaml_round_trips_to_the_same_objects(tmp_path):
    fs = fst.FeatureStore(tmp_path / "py", project="kinds")
    define_all_kinds(fs)
    out = tmp_path / "exported"
    out.mkdir()
    text = fs.to_yaml(out / "featherstone.yaml")
    assert text == (out / "featherstone.yaml").read_text()
    assert "ttl: 2w" in text and "online: false" in text
    assert "features: [customer_features:purchase_frequency_30d, " in text
    assert hashes(fst.FeatureStore(out).spec_objects()) == hashes(fs.spec_objects())


def test_to_yaml_shape_is_the_canonical_one(tmp_path):
    fs = fst.FeatureStore(tmp_path / "py", project="shop")
    shop.define_shop(fs)
    lines = fs.to_yaml().splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == [
        "project: shop",
        "entities:",
        "  - name: customer",
        "    join_keys: [customer_id]",
        '    description: "A buying customer"',
        "sources:",
        "  - name: orders",
        "    kind: file",
        "    format: csv",
        "    timestamp_field: event_ts",
        "    created_timestamp_field: created_ts",
        "    schema:",
        "      - {name: customer_id, type: int64}",
        "      - {name: order_id, type: string}",
        "      - {name: amount, type: float64}",
        "      - {name: event_ts, type: timestamp}",
        "      - {name: created_ts, type: timestamp}",
        "feature_views:",
        "  - name: customer_features",
        "    entities: [customer]",
        "    source: orders",
        "    ttl: 30d",
        "    online: true",
        "    features:",
        "      - {name: amount}",
        "      - {name: order_id}",
        "feature_services:",
        "  - name: churn_model",
        "    features: [customer_features:amount, customer_features:order_id]",
    ]


def test_expression_operators_build_engine_text():
    o = fst.Columns("orders")
    assert (o.amount * 100).text == "amount * 100"
    assert (o.a + o.b * 2).text == "a + b * 2"
    assert ((o.a + o.b) * 2).text == "(a + b) * 2"
    assert (o.a - (o.b - o.c)).text == "a - (b - c)"
    assert (1 / (1 + o.x)).text == "1 / (1 + x)"
    assert (-o.a).text == "-a"
    assert ((o.a > 1) & ~(o.b == "x")).text == 'a > 1 and not b == "x"'
    assert (~(o.a | o.b)).text == "not (a or b)"
    assert ((o.a == None) | (o.s == 'say "hi"\n')).text == 'a == null or s == "say \\"hi\\"\\n"'
    assert ((o.a < 1) | (o.b >= 2.5)).text == "a < 1 or b >= 2.5"
    assert (fst.expr("log(a)") * 2).text == "(log(a)) * 2"
    assert fst.days_since(o.last_ts).text == "days_since(last_ts)"
    assert fst.days_since("last_order_ts").text == "days_since(last_order_ts)"
    with pytest.raises(TypeError):
        bool(o.a > 1)


def test_view_references(tmp_path):
    fs = fst.FeatureStore(tmp_path / "py")
    view = shop.define_shop(fs)
    assert view["amount"] == "customer_features:amount"
    assert view.refs == shop.FEATURES
    assert view.feature_names == ["amount", "order_id"]
    with pytest.raises(fst.NotFoundError, match="has no feature 'nope'"):
        view["nope"]
    assert [type(d).__name__ for d in fs.definitions] == [
        "Entity", "FileSource", "FeatureView", "FeatureService"]


def test_engine_errors_point_at_the_python_lines(tmp_path):
    fs = fst.FeatureStore(tmp_path / "bad")
    customer = fst.Entity("customer", join_keys=["customer_id"])
    orders = fst.FileSource("orders", schema={"customer_id": "int64", "amount": "float64",
                                              "event_ts": "timestamp"},
                            timestamp_field="event_ts")

    @fs.feature_view(name="v", entities=[customer, "nobody"], source=orders, ttl="30d")
    def v(o):
        return {
            "amount": o.amout,  # typo
            "n": fst.count(o.amount, window="7d"),
        }

    with pytest.raises(fst.DefinitionError) as e:
        fs.plan()
    message = str(e.value)
    here = __file__
    decorator_line = line_of("@fs.feature_view", test_engine_errors_point_at_the_python_lines)
    typo_line = line_of("o.amout", test_engine_errors_point_at_the_python_lines)
    assert f"{here}:{decorator_line}: feature_view 'v': entity 'nobody' is not defined" in message
    assert (f"{here}:{typo_line}: feature_view 'v': feature 'amount': column 'amout' is not in "
            "source 'orders'") in message
    assert "<python>" not in message
    with pytest.raises(fst.DefinitionError):
        fs.apply()
    assert fs.list_objects() == []


def test_parse_errors_point_at_the_python_lines(tmp_path):
    fs = fst.FeatureStore(tmp_path / "bad")
    orders = fst.FileSource("orders", schema={"id": "int65", "ts": "timestamp"},  # bad type
                            timestamp_field="ts")
    fs.register(orders)
    with pytest.raises(fst.DefinitionError) as e:
        fs.plan()
    line = line_of('"int65"', test_parse_errors_point_at_the_python_lines)
    assert str(e.value).startswith(f"{__file__}:{line}: 'type' of column 'id' of source "
                                   "'orders': unknown type 'int65'")
    fs2 = fst.FeatureStore(tmp_path / "bad2")
    entity = fst.Entity("e", ["id"])

    good = fst.FileSource("orders", schema={"id": "int64", "ts": "timestamp"},
                          timestamp_field="ts")

    @fs2.feature_view(name="v", entities=[entity], source=good, ttl="30x")
    def _v(o):
        return {"id": o.id}

    with pytest.raises(fst.DefinitionError, match=r"test_definitions.py:\d+: 'ttl' of "
                                                  r"feature_view 'v': cannot parse duration"):
        fs2.plan()


def test_yaml_errors_name_file_line_and_column(yaml_repo):
    (yaml_repo / "featherstone.yaml").write_text(
        shop.SHOP_YAML.replace("    ttl: 30d\n", "    ttl: 30d\n    tll: 1d\n"))
    fs = fst.FeatureStore(yaml_repo)
    with pytest.raises(fst.DefinitionError,
                       match=r"^featherstone\.yaml:\d+:\d+: unknown key 'tll' in feature_view "
                             r"'customer_features'; did you mean 'ttl'\?"):
        fs.plan()
    (yaml_repo / "featherstone.yaml").write_text(
        shop.SHOP_YAML.replace("source: orders\n    ttl", "source: nowhere\n    ttl"))
    with pytest.raises(fst.DefinitionError, match=r"featherstone\.yaml:\d+:\d+: .*nowhere"):
        fs.apply()


def test_api_misuse_raises_definition_error_at_the_call(tmp_path):
    fs = fst.FeatureStore(tmp_path / "misuse")
    e = fst.Entity("e", ["id"])
    with pytest.raises(fst.DefinitionError, match="must return a dict"):
        @fs.feature_view(name="v", entities=[e], source="s")
        def _v(o):
            return [o.id]
    with pytest.raises(fst.DefinitionError, match="feature 'x': expected a column"):
        @fs.feature_view(name="v", entities=[e], source="s")
        def _w(o):
            return {"x": 42}
    with pytest.raises(fst.DefinitionError, match="aggregate a source column"):
        fst.sum(fst.col("a") * 2, window="1d")
    with pytest.raises(fst.DefinitionError, match="no Featherstone equivalent"):
        fst.FileSource("s", {"a": pa.decimal128(10, 2)}, timestamp_field="ts")
    with pytest.raises(fst.DefinitionError, match="whole number of seconds"):
        fst.count(window=dt.timedelta(milliseconds=5))
    with pytest.raises(fst.DefinitionError, match="cannot register"):
        fs.register("customer")


def test_no_definitions_at_all(tmp_path):
    fs = fst.FeatureStore(tmp_path / "empty")
    with pytest.raises(fst.DefinitionError, match="no definitions"):
        fs.apply()


def test_python_objects_replace_yaml_objects_of_the_same_name(yaml_repo):
    fs = fst.FeatureStore(yaml_repo)
    assert [str(c) for c in fs.apply()] == [
        "+ entity customer", "+ source churn_model__log", "+ source orders",
        "+ feature_view customer_features", "+ feature_service churn_model"]

    @fs.feature_view(name="customer_features", entities=["customer"], source="orders", ttl="10d")
    def customer_features(o):
        return {"amount": o.amount, "order_id": o.order_id}

    changes = fs.plan()
    assert changes == ["~ feature_view customer_features (ttl: 30d -> 10d)"]
    assert (changes[0].op, changes[0].kind, changes[0].name) == ("~", "feature_view",
                                                                 "customer_features")
    assert fs.apply() == changes
    assert fs.describe("customer_features")["spec"]["ttl"] == "10d"
    assert fs.describe("customer_features")["version"] == 2


def test_source_contracts_match_their_yaml_and_round_trip(tmp_path):
    yaml_dir = tmp_path / "yaml"
    yaml_dir.mkdir()
    (yaml_dir / "featherstone.yaml").write_text((shop.REPO_ROOT / "tests" / "cases" / "definitions"
                                                 / "contract_design_example.yaml").read_text())
    from_yaml = fst.FeatureStore(yaml_dir)
    fs = fst.FeatureStore(tmp_path / "py", project="shop")
    customer = fst.Entity("customer", ["customer_id"], description="A buying customer")
    orders = fst.FileSource(
        "orders", {"customer_id": "int64", "order_id": "string", "amount": ("float64", True),
                   "event_ts": "timestamp", "created_ts": "timestamp", "status": "string"},
        timestamp_field="event_ts", created_timestamp_field="created_ts", format="csv",
        contract={
            "policy": "quarantine",
            "breaker": {"threshold": 0.2, "half_open_after": "10m"},
            "expectations": [
                {"expect": "not_null", "column": "amount"},
                {"expect": "between", "column": "amount", "min": 0, "max": 100000,
                 "mostly": 0.99},
                {"expect": "in_set", "column": "status", "values": ["new", "paid", "shipped"],
                 "severity": "warn"},
                {"expect": "unique", "columns": ["customer_id", "order_id"]},
                {"expect": "row_count_between", "min": 1},
                {"expect": "freshness_max", "max": "2d"},
            ]})
    fs.register(customer, orders)
    yaml_objects = {o.name: o for o in from_yaml.spec_objects()}
    assert {o.name: o.hash for o in fs.spec_objects()} == {
        n: yaml_objects[n].hash for n in ("customer", "orders")}
    # A stored spec back to Python (defaults filled in) gives the same object again.
    again = fst.FeatureStore(tmp_path / "again", project="shop")
    again.register(customer, fst.definitions.from_spec("source", yaml_objects["orders"].spec))
    assert hashes(again.spec_objects()) == hashes(fs.spec_objects())
    with pytest.raises(fst.DefinitionError, match=r"test_definitions\.py:\d+: .*expect"):
        bad = fst.FeatureStore(tmp_path / "bad")
        bad.register(fst.FileSource("s", {"a": "int64", "ts": "timestamp"}, "ts",
                                    contract={"expectations": [{"expect": "not_nul",
                                                                "column": "a"}]}))
        bad.plan()
