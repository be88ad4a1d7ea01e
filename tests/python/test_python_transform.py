"""Sources of kind python: fs.run_transform (docs/connectors.md "Python transforms"), with the
example of examples/doc_embeddings (a local all-MiniLM-L6-v2 on numpy) as written."""
import os
import shutil

import pyarrow as pa
import pytest

import featherstone as fst
import shop

EXAMPLE = shop.REPO_ROOT / "examples" / "doc_embeddings"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def example_repo(tmp_path):
    repo = tmp_path / "doc_search"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".featherstone", "__pycache__"))
    for i, name in enumerate(sorted(os.listdir(repo / "docs"))):
        os.utime(repo / "docs" / name, (T0 + i, T0 + i))
    return repo


def test_the_example_embeds_documents_and_serves_cosine_similarity(tmp_path):
    repo = example_repo(tmp_path)
    fs = fst.FeatureStore(repo)
    fs.apply()
    assert fs.describe("doc_embeddings")["spec"]["options"] == {
        "transform": "embed:embed_documents", "input": "docs"}
    assert fs.ingest("docs").rows == 3
    results = fs.run_transform("doc_embeddings")
    assert [(r.input, r.rows) for r in results] == [
        ("transform embed:embed_documents of docs ingest #1", 3)]
    assert fs.run_transform("doc_embeddings") == []  # each input ingest once

    import embed  # the example's module, imported by run_transform from the repo folder
    query = embed.model().encode(["The weather is lovely today."])[0].tolist()
    fs.materialize(end="2026-01-02T00:00:00Z")
    docs = ["docs/weather.md", "docs/sun.md", "docs/stadium.md"]
    online = fs.get_online_features(
        service="search", entity_rows=[{"doc": d, "query_embedding": query} for d in docs],
        at="2026-01-02T00:00:00Z").to_dict()
    # The model card's similarities for these three sentences: 0.6660 and 0.1046.
    assert online["words"] == [5, 4, 5]
    assert online["similarity"][0] == pytest.approx(1.0, abs=1e-5)
    assert online["similarity"][1] == pytest.approx(0.6660, abs=2e-3)
    assert online["similarity"][2] == pytest.approx(0.1046, abs=2e-3)
    training = fs.get_historical_features(
        pa.table({"doc": docs, "event_timestamp": pa.array([T0 * 10**6 + 10**7] * 3,
                                                          pa.timestamp("us", "UTC")),
                  "query_embedding": [query] * 3}),
        service="search").to_pydict()
    assert training["similarity"] == pytest.approx(online["similarity"], abs=1e-6)

    # A changed and a new document: only the new input ingest is transformed.
    (repo / "docs" / "sun.md").write_text("# Sun\n\nIt is raining all day.\n")
    (repo / "docs" / "new.md").write_text("# New\n\nA new page.\n")
    assert fs.ingest("docs").rows == 2
    again = fs.run_transform("doc_embeddings")
    assert [(r.input, r.rows) for r in again] == [
        ("transform embed:embed_documents of docs ingest #3", 2)]  # ids count every ingest


TOY_YAML = """\
project: toy
entities:
  - name: item
    join_keys: [item_id]
sources:
  - name: items
    timestamp_field: ts
    schema:
      - {name: item_id, type: int64}
      - {name: title, type: string}
      - {name: ts, type: timestamp}
  - name: loud_items
    kind: python
    transform: loud:shout
    input: items
    timestamp_field: ts
    schema:
      - {name: item_id, type: int64}
      - {name: title, type: string}
      - {name: ts, type: timestamp}
feature_views:
  - name: loud_view
    entities: [item]
    source: loud_items
    ttl: 0
    features:
      - {name: title}
"""

TOY_MODULE = """\
import os
import pyarrow as pa
import pyarrow.compute as pc

calls = []


def shout(items):
    calls.append(items.num_rows)
    if os.environ.get("LOUD_FAIL") == str(len(calls)):
        raise RuntimeError("the transform died")
    return items.set_column(1, "title", pc.utf8_upper(items["title"]))
"""


def toy_repo(tmp_path, module=TOY_MODULE):
    repo = tmp_path / "toy"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(TOY_YAML)
    (repo / "loud.py").write_text(module)
    for i, rows in enumerate([["1,a,2026-01-01T00:00:00Z", "2,b,2026-01-01T00:00:00Z"],
                              ["1,c,2026-01-02T00:00:00Z"]]):
        (repo / f"items{i}.csv").write_text("item_id,title,ts\n" + "\n".join(rows) + "\n")
    return repo


def test_each_input_ingest_is_transformed_once_also_after_a_failure(tmp_path, monkeypatch):
    repo = toy_repo(tmp_path)
    fs = fst.FeatureStore(repo)
    fs.apply()
    fs.ingest("items", str(repo / "items0.csv"))
    fs.ingest("items", str(repo / "items1.csv"))
    monkeypatch.setenv("LOUD_FAIL", "2")  # dies on the second input ingest, before its publish
    with pytest.raises(RuntimeError, match="the transform died"):
        fs.run_transform("loud_items")
    monkeypatch.delenv("LOUD_FAIL")
    import loud
    assert loud.calls == [2, 1]
    rest = fs.run_transform("loud_items")
    assert [(r.input, r.rows) for r in rest] == [("transform loud:shout of items ingest #2", 1)]
    assert loud.calls == [2, 1, 1]
    assert fs.run_transform("loud_items") == []
    rows = fs.get_historical_features(
        pa.table({"item_id": [1, 2], "event_timestamp": pa.array(
            [(T0 + 86_400) * 10**6, T0 * 10**6], pa.timestamp("us", "UTC"))}),
        features=["loud_view:title"]).to_pydict()
    assert rows["title"] == ["C", "B"]
