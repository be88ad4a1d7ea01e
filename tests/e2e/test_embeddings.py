"""Embeddings (list<float32> with a declared dim) end to end: ingest from CSV, JSONL and
Parquet, a wrong dimension refused with file/row/column, historical output as JSON arrays (CSV,
JSONL) and lists (Parquet), online (CLI and HTTP) equal to historical for the vectors, their
last/first over a window, norm() in a view and a cosine on-demand feature whose query vector
comes from request data online and from the entity file offline."""
import datetime as dt
import json
import math
import os
import pathlib
import re
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fst
from test_serve import Server

YAML = """\
project: shop
entities:
  - name: item
    join_keys: [item_id]
sources:
  - name: items
    timestamp_field: event_ts
    schema:
      - {name: item_id, type: int64}
      - {name: embedding, type: list<float32>, dim: 3}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: item_features
    entities: [item]
    source: items
    ttl: 0
    features:
      - {name: embedding}
      - {name: embedding_norm, expr: "norm(embedding)"}
      - {name: last_embedding, agg: last, column: embedding, window: 2d}
      - {name: first_embedding, agg: first, column: embedding, window: 2d}
      - {name: avg_embedding, agg: avg, column: embedding, window: 2d}
on_demand_feature_views:
  - name: query_match
    request_schema:
      - {name: query_embedding, type: list<float32>, dim: 3}
    sources: [item_features]
    features:
      - {name: similarity, expr: "cosine(query_embedding, item_features.embedding)"}
      - {name: score, expr: "dot(query_embedding, item_features.embedding)"}
"""

FEATURES = ("item_features:embedding,item_features:embedding_norm,"
            "item_features:last_embedding,item_features:first_embedding,"
            "item_features:avg_embedding,"
            "query_match:similarity,query_match:score")
NAMES = ["embedding", "embedding_norm", "last_embedding", "first_embedding", "avg_embedding",
         "similarity", "score"]
AT = "2026-01-05T00:00:00Z"
QUERY = [0.5, -1.25, 2.0]
VECTORS = {  # item -> [(event_ts, vector)] as ingested (CSV, then JSONL, then Parquet)
    1: [("2026-01-01T00:00:00Z", [0.1, 0.2, 0.3]), ("2026-01-04T00:00:00Z", [1.5, -2.0, 0.25])],
    2: [("2026-01-03T12:00:00Z", [0.0, 0.0, 0.0])],      # a zero vector: cosine is null
    3: [("2026-01-04T06:00:00Z", [3.0, 4.0, 12.0]), ("2026-01-04T07:00:00Z", [1.0, 0.0, 0.0])],
}


def f32(v):
    """A vector as float32 values (Python floats), as the engine stores it."""
    return pa.array(v, pa.float32()).to_pylist()


def cosine(a, b):
    a, b = f32(a), f32(b)
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
    return None if na == 0 or nb == 0 else sum(x * y for x, y in zip(a, b)) / (na * nb)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("embeddings")
    repo = fst.make_repo(base / "shop", YAML)
    csv_rows = [[1, json.dumps(VECTORS[1][0][1]), VECTORS[1][0][0]],
                [2, json.dumps(VECTORS[2][0][1]), VECTORS[2][0][0]]]
    fst.ingest(repo, "items", fst.write_csv(base / "items.csv",
                                            ["item_id", "embedding", "event_ts"], csv_rows))
    jsonl = base / "items.jsonl"
    jsonl.write_text(json.dumps({"item_id": 1, "embedding": VECTORS[1][1][1],
                                 "event_ts": VECTORS[1][1][0]}) + "\n")
    fst.ingest(repo, "items", jsonl)
    table = pa.table({
        "item_id": pa.array([3, 3], pa.int64()),
        "embedding": pa.array([v for _, v in VECTORS[3]], pa.list_(pa.float32(), 3)),
        "event_ts": pa.array([fst.ts(t) for t, _ in VECTORS[3]], pa.timestamp("us", "UTC")),
    })
    pq.write_table(table, base / "items.parquet")
    fst.ingest(repo, "items", base / "items.parquet")
    fst.run(["materialize", "--end", AT], repo)
    return repo


def historical(repo, out_name):
    """The training set for items 1-3 (and an unknown 9) at AT, the query vector in the entity
    file, as rows of the output file."""
    work = repo.parent / "h"
    work.mkdir(exist_ok=True)
    spine = fst.write_csv(work / "spine.csv", ["item_id", "event_timestamp", "query_embedding"],
                          [[i, AT, json.dumps(QUERY)] for i in (1, 2, 3, 9)])
    out = work / out_name
    fst.run(["historical", "--entities", spine, "--features", FEATURES, "--out", out], repo)
    if out_name.endswith(".parquet"):
        return pq.read_table(out).to_pylist()
    if out_name.endswith(".jsonl"):
        return [json.loads(line) for line in out.read_text().splitlines()]
    rows = fst.read_csv(out)
    for r in rows:  # CSV cells hold JSON: arrays for the vectors, numbers for the rest
        for name in NAMES:
            r[name] = None if r[name] is None else json.loads(r[name])
    return rows


def expected_rows():
    last = {1: VECTORS[1][1][1], 2: VECTORS[2][0][1], 3: VECTORS[3][1][1]}
    first = {1: VECTORS[1][1][1], 2: VECTORS[2][0][1], 3: VECTORS[3][0][1]}  # 2d window
    rows = []
    for item in (1, 2, 3):
        v = f32(last[item])
        window = [f32(w) for t, w in VECTORS[item] if fst.ts(t) > fst.ts(AT) - dt.timedelta(days=2)]
        mean = f32([sum(col) / len(window) for col in zip(*window)])  # double sums, one rounding
        rows.append({"embedding": v, "embedding_norm": math.sqrt(sum(x * x for x in v)),
                     "last_embedding": v, "first_embedding": f32(first[item]),
                     "avg_embedding": mean,
                     "similarity": cosine(QUERY, v),
                     "score": sum(x * y for x, y in zip(f32(QUERY), v))})
    rows.append({name: None for name in NAMES})
    return rows


def same(actual, expected):
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            fst.same_number(a, e, rel=1e-6) for a, e in zip(actual, expected))
    return fst.same_number(actual, expected)


@pytest.mark.parametrize("out_name", ["out.csv", "out.jsonl", "out.parquet"])
def test_historical_writes_vectors_and_vector_expressions(repo, out_name):
    rows = historical(repo, out_name)
    for row, want in zip(rows, expected_rows()):
        for name in NAMES:
            assert same(row[name], want[name]), (out_name, row["item_id"], name, row[name], want)


def test_online_equals_historical_in_the_cli_and_over_http(repo):
    offline = historical(repo, "out.jsonl")
    args = ["online", "--features", FEATURES, "--at", AT,
            "--request", f"query_embedding={json.dumps(QUERY)}"]  # for every entity
    for item in (1, 2, 3, 9):
        args += ["--entity", f"item_id={item}"]
    online = json.loads(fst.run(args, repo).stdout)
    for on, off in zip(online, offline):
        for name in NAMES:
            assert on[name] == off[name], (on["item_id"], name, on[name], off[name])
    server = Server(repo)
    try:
        status, out = server.post("/get-online-features", {
            "features": FEATURES.split(","), "entities": {"item_id": [1, 2, 3, 9]},
            "request_data": {"query_embedding": [QUERY]}, "at": AT})
    finally:
        server.stop()
    assert status == 200, out
    names = out["metadata"]["feature_names"]
    for c, name in enumerate(names[1:], start=1):
        assert out["results"][c]["values"] == [o[name] for o in online], name


def test_a_wrong_dimension_is_refused_with_file_row_and_column(repo, tmp_path):
    bad = fst.write_csv(tmp_path / "bad.csv", ["item_id", "embedding", "event_ts"], [
        [5, "[1, 2, 3]", AT], [6, "[1, 2]", AT]])
    p = fst.ingest(repo, "items", bad, ok=False)
    assert "bad.csv: row 2, column 'embedding'" in p.stderr
    assert "expected 3 values, got 2" in p.stderr
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text('{"item_id": 5, "embedding": [1, "x", 3], "event_ts": "%s"}\n' % AT)
    p = fst.ingest(repo, "items", jsonl, ok=False)
    assert "bad.jsonl" in p.stderr and "column 'embedding'" in p.stderr, p.stderr
    p = fst.run(["online", "--features", "query_match:similarity", "--entity", "item_id=1",
                 "--request", "query_embedding=[1, 2]"], repo, ok=False)
    assert "expected 3 values, got 2" in p.stderr


def test_dim_is_required_for_vectors_and_refused_elsewhere(tmp_path):
    repo = fst.make_repo(tmp_path / "r", YAML.replace(", dim: 3}\n      - {name: event_ts",
                                                        "}\n      - {name: event_ts"),
                         apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert "featherstone.yaml:10:" in p.stderr and "list<float32> needs 'dim'" in p.stderr
    repo = fst.make_repo(tmp_path / "s", YAML.replace("{name: item_id, type: int64}",
                                                        "{name: item_id, type: int64, dim: 2}"),
                         apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert "featherstone.yaml:9:" in p.stderr and "applies only to type list<float32>" in p.stderr
    repo = fst.make_repo(tmp_path / "t", YAML.replace('"norm(embedding)"', '"embedding + 1"'),
                         apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert "vectors are used only in dot, cosine, norm and is_null" in p.stderr
    repo = fst.make_repo(tmp_path / "v", YAML.replace("agg: avg", "agg: sum"), apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert ("agg 'sum' needs a numeric column; 'embedding' is list<float32> (vectors take last, "
            "first, avg, count and count_distinct)") in p.stderr, p.stderr
    request_dim_2 = YAML.replace("query_embedding, type: list<float32>, dim: 3",
                                 "query_embedding, type: list<float32>, dim: 2")
    repo = fst.make_repo(tmp_path / "u", request_dim_2, apply=False)
    p = fst.run(["plan"], repo, ok=False)
    assert ("cosine of vectors of different dimensions: 'query_embedding' has 2 values, "
            "'item_features.embedding' has 3") in p.stderr, p.stderr


def test_the_connectors_doc_example_runs_as_written(tmp_path):
    doc = (fst.REPO_ROOT / "docs" / "connectors.md").read_text()
    section = doc[doc.index("## Embeddings and text"):]
    script = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"`train.jsonl` holds.*?```\n(.*?)```", section, re.S).group(1)
    env = dict(os.environ, PATH=f"{pathlib.Path(fst.BIN).parent}:{os.environ['PATH']}")
    p = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=fst.TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (tmp_path / "emb" / "train.jsonl").read_text() == shown
    online = json.loads(p.stdout[p.stdout.rindex("[\n  {"):])  # the last command's output
    assert online[0]["similarity"] == json.loads(shown.splitlines()[0])["similarity"]
