"""Nested JSON read by path (docs/connectors.md, "Nested JSON") and the text functions of
expressions (docs/expressions.md): a JSON Lines ingest whose columns sit inside objects and
arrays, missing paths null and quarantined by the contract, a push and a Kafka stream of nested
payloads (the `kafka` broker fixture of conftest.py), text features online equal to historical,
and the errors plan gives for paths and text functions."""
import json
import random
import re
import uuid

import pytest

import fst

AT = "2026-02-01T00:00:00Z"

SCHEMA = """\
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64, path: customer.id}
      - {name: city, type: string, path: customer.address.city}
      - {name: address, type: string, path: customer.address}
      - {name: first_sku, type: string, path: items.0.sku}
      - {name: first_qty, type: int64, path: items.0.qty}
      - {name: note, type: string}
      - {name: event_ts, type: timestamp}
"""

TEXT_FEATURES = """\
      - {name: city}
      - {name: address}
      - {name: first_sku}
      - {name: first_qty}
      - {name: note_length, expr: "length(note)"}
      - {name: note_tokens, expr: "token_count(note)"}
      - {name: note_upper, expr: "upper(note)"}
      - {name: note_lower, expr: "lower(note)"}
      - {name: mentions_gift, expr: "contains(lower(note), 'gift')"}
      - {name: sku_code, expr: "regex_match(first_sku, '^[A-Z]{2}-[0-9]+$')"}
"""

YAML = f"""\
project: shop
entities:
  - name: customer
    join_keys: [customer_id]
sources:
  - name: orders
    format: jsonl
{SCHEMA}    contract:
      expectations:
        - {{expect: not_null, column: city}}
  - name: order_events
    kind: push
{SCHEMA}feature_views:
  - name: order_features
    entities: [customer]
    source: orders
    ttl: 90d
    features:
{TEXT_FEATURES}  - name: pushed_features
    entities: [customer]
    source: order_events
    ttl: 90d
    features:
{TEXT_FEATURES}on_demand_feature_views:
  - name: query_features
    request_schema:
      - {{name: query, type: string}}
    sources: [order_features]
    features:
      - {{name: query_in_city, expr: "contains(lower(query), lower(order_features.city))"}}
      - {{name: query_tokens, expr: "token_count(query)"}}
"""

NAMES = ["city", "address", "first_sku", "first_qty", "note_length", "note_tokens", "note_upper",
         "note_lower", "mentions_gift", "sku_code"]
NOTES = ["Gift wrap please", "", None, "  leave at   the door ", "Straße 5, 日本 GIFT",
         "😀 thanks", "no-gift", "tab\tseparated\nlines"]
CITIES = ["Oslo", "Paris", "Zürich", "São Paulo"]


def order(rng, i, customer):
    """One nested order event; every 9th has no city (quarantined by the contract), every 7th
    no items (first_sku and first_qty null)."""
    address = {"zip": f"{1000 + i}"}
    if i % 9 != 8:
        address["city"] = rng.choice(CITIES)
    event = {"customer": {"id": customer, "address": address},
             "event_ts": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
    if i % 7 != 6:
        event["items"] = [{"sku": rng.choice(["AB-12", "xy-3", "CD-7x", "EF-900"]),
                           "qty": rng.randint(1, 5)}, {"sku": "ZZ-1", "qty": 1}]
    note = rng.choice(NOTES)
    if note is not None:
        event["note"] = note
    return event


def events(n, seed):
    rng = random.Random(seed)
    return [order(rng, i, 1 + i % 6) for i in range(n)]


def ascii_case(text, upper):
    lowers, uppers = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return text.translate(str.maketrans(lowers, uppers) if upper else str.maketrans(uppers, lowers))


def expected_text(note):
    """What the text features give for a note, written out in Python (ASCII case only)."""
    if note is None:
        return {k: None for k in ["note_length", "note_tokens", "note_upper", "note_lower",
                                  "mentions_gift"]}
    upper = ascii_case(note, upper=True)
    lower = ascii_case(note, upper=False)
    return {"note_length": len(note), "note_tokens": len(note.split()), "note_upper": upper,
            "note_lower": lower, "mentions_gift": "gift" in lower}


def latest(evs):
    """The latest event per customer among those with a city (the ones the contract keeps)."""
    out = {}
    for e in evs:
        if "city" not in e["customer"]["address"]:
            continue
        c = e["customer"]["id"]
        if c not in out or e["event_ts"] >= out[c]["event_ts"]:
            out[c] = e
    return out


def historical(repo, spine, features, header=fst.SPINE_HEADER, tag="h"):
    """`historical` from and into JSON Lines (which, unlike CSV, tell an empty string from
    null)."""
    work = repo.parent / f"{repo.name}-{tag}"
    work.mkdir(exist_ok=True)
    entities = work / "spine.jsonl"
    entities.write_text("".join(json.dumps(dict(zip(header, r))) + "\n" for r in spine))
    out = work / "out.jsonl"
    fst.run(["historical", "--entities", entities, "--out", out, "--features", features], repo)
    return [json.loads(line) for line in out.read_text().splitlines()]


def check_view(repo, view, evs):
    """historical at AT equals the latest kept event of each customer, and online equals
    historical."""
    features = ",".join(f"{view}:{n}" for n in NAMES)
    last = latest(evs)
    customers = sorted(last)
    rows = historical(repo, [[c, AT] for c in customers], features, tag=view)
    fst.run(["materialize", "--end", AT], repo)
    online = fst.online(repo, [{"customer_id": c} for c in customers], features=features, at=AT)
    for c, row, got in zip(customers, rows, online):
        e = last[c]
        items = e.get("items")
        want = {"city": e["customer"]["address"]["city"],
                "address": json.dumps(e["customer"]["address"], separators=(",", ":"),
                                      ensure_ascii=False),
                "first_sku": items[0]["sku"] if items else None,
                "first_qty": items[0]["qty"] if items else None,
                "sku_code": (bool(re.fullmatch(r"[A-Z]{2}-[0-9]+", items[0]["sku"]))
                             if items else None)}
        want.update(expected_text(e.get("note")))
        for name in NAMES:
            assert got[name] == want[name], (c, name, got, want)
            assert got[name] == row[name], (c, name, got, row)


def test_jsonl_nested_paths_contract_historical_and_online(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML)
    evs = events(60, seed=1)
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in evs))
    p = fst.ingest(repo, "orders", path)
    missing_city = sum(1 for e in evs if "city" not in e["customer"]["address"])
    assert missing_city > 0
    assert f"{60 - missing_city} rows into source 'orders'" in p.stdout, p.stdout
    assert f"{missing_city} rows quarantined" in p.stdout, p.stdout
    check_view(repo, "order_features", evs)

    # The on-demand text features: online equals historical for the same request values (a
    # null request value, which `online --request` cannot give, only in historical).
    header = ["customer_id", "event_timestamp", "query"]
    spine = [[1, AT, "Hotels in PARIS"], [2, AT, "  zürich  lake "], [3, AT, ""], [4, AT, None]]
    features = "query_features:query_in_city,query_features:query_tokens"
    rows = historical(repo, spine, features, header=header, tag="odfv")
    for (customer, _, query), row in zip(spine[:3], rows):
        args = ["online", "--features", features, "--at", AT, "--entity", f"customer_id={customer}",
                "--request", f"query={query}"]
        got = json.loads(fst.run(args, repo).stdout)[0]
        for name in ("query_in_city", "query_tokens"):
            assert got[name] == row[name], (customer, name, got, row)
    assert [r["query_tokens"] for r in rows] == [3, 2, 0, None]
    last = latest(evs)
    assert [r["query_in_city"] for r in rows] == [
        ascii_case(last[c]["customer"]["address"]["city"], upper=False) in ascii_case(q, upper=False)
        for c, _, q in spine[:3]] + [None]


def test_jsonl_wrong_type_at_a_path_names_it(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML)
    evs = events(5, seed=2)
    evs[3]["items"] = [{"sku": "AB-1", "qty": "many"}]
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in evs))
    p = fst.ingest(repo, "orders", path, ok=False)
    assert "row 4, column 'first_qty' (path items.0.qty): value 'many' is not a valid int64" \
        in p.stderr, p.stderr


def test_push_nested_payloads(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", YAML)
    evs = [e for e in events(40, seed=3) if "city" in e["customer"]["address"]]
    p = fst.run(["push", "order_events", "-"], repo,
                input="".join(json.dumps(e, ensure_ascii=False) + "\n" for e in evs))
    assert f"pushed {len(evs)} rows into source 'order_events'" in p.stdout, p.stdout
    check_view(repo, "pushed_features", evs)
    bad = fst.run(["push", "order_events", "-"], repo, ok=1,
                  input='{"customer": {"id": "x"}, "event_ts": "2026-01-02T00:00:00Z"}\n')
    assert "stdin: line 1: column 'customer_id' (path customer.id)" in bad.stderr, bad.stderr


def test_kafka_stream_of_nested_payloads(kafka, tmp_path):
    """The same payloads from a topic: `stream` decodes them with the push decoder's paths."""
    topic = f"nested-{uuid.uuid4().hex[:8]}"
    source = (f"    kind: kafka\n    format: json\n    bootstrap_servers: {kafka.bootstrap}\n"
              f"    topic: {topic}\n")
    repo = fst.make_repo(tmp_path / "shop", YAML.replace("    kind: push\n", source))
    evs = [e for e in events(50, seed=4) if "city" in e["customer"]["address"]]
    kafka.produce(topic, [json.dumps(e, ensure_ascii=False) for e in evs], partition=0)
    p = fst.run(["stream", "order_events", "--until-idle", "2s"], repo)
    assert f"streamed {len(evs)} events" in p.stdout, p.stdout
    check_view(repo, "pushed_features", evs)


@pytest.mark.parametrize("change, error", [
    ("path: items.0.sku}", None),
    ("path: \"items[0].sku\"}",
     "'items[0].sku' indexes with brackets; array elements are steps of the dotted path: "
     "'items.0.sku'"),
])
def test_path_syntax_at_plan(tmp_path, change, error):
    repo = fst.make_repo(tmp_path / "shop", YAML.replace("path: items.0.sku}", change), apply=False)
    p = fst.run(["plan"], repo, ok=error is None)
    if error:
        assert "featherstone.yaml:" in p.stderr and error in p.stderr, p.stderr


def test_plan_refuses_paths_in_csv_and_bad_text_expressions(tmp_path):
    csv = YAML.replace("    format: jsonl\n", "    format: csv\n", 1)
    p = fst.run(["plan"], fst.make_repo(tmp_path / "csv", csv, apply=False), ok=False)
    declared = "      - {name: customer_id, type: int64, path: customer.id}"
    line = csv.splitlines().index(declared) + 1
    column = declared.index("customer.id") + 1
    assert f"featherstone.yaml:{line}:{column}: column 'customer_id' of source 'orders' declares " \
           "'path', but the source's format is csv" in p.stderr, p.stderr

    for expr, error in [
        ("length(first_qty)", "column 1: length needs a string, found int64"),
        ("contains(note, first_qty)", "column 1: contains needs a string second argument"),
        ("regex_match(note, 'a(b')", "column 19: invalid regular expression \"a(b\""),
        ("regex_match(note, note)", "column 19: regex_match needs its pattern as a string"),
    ]:
        text = YAML.replace('expr: "length(note)"}', f'expr: "{expr}"}}', 1)
        repo = fst.make_repo(tmp_path / f"e{len(expr)}", text, apply=False)
        p = fst.run(["plan"], repo, ok=False)
        line = text.splitlines().index(f'      - {{name: note_length, expr: "{expr}"}}') + 1
        assert f"featherstone.yaml:{line}:" in p.stderr and error in p.stderr, (expr, p.stderr)
