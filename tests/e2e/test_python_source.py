"""Sources of kind python at the CLI: refused where written when wrong, and `ingest` says how
to run them (the transform runs from Python: tests/python/test_python_transform.py)."""
import pytest

import fst

YAML = """\
project: toy
sources:
  - name: items
    timestamp_field: ts
    schema:
      - {name: item_id, type: int64}
      - {name: ts, type: timestamp}
  - name: loud_items
    kind: python
    transform: loud:shout
    input: items
    timestamp_field: ts
    schema:
      - {name: item_id, type: int64}
      - {name: ts, type: timestamp}
"""


@pytest.mark.parametrize("change, message", [
    (lambda y: y.replace("transform: loud:shout", "transform: loud.shout"),
     ":10:5: source 'loud_items': transform 'loud.shout' is not MODULE:FUNCTION"),
    (lambda y: y.replace("input: items", "input: itemz"),
     ":11:5: source 'loud_items': input source 'itemz' is not defined"),
    (lambda y: y.replace("input: items", "input: loud_items"),
     ":11:5: source 'loud_items': input is the source itself"),
    (lambda y: y.replace("    input: items\n", ""),
     ":8:5: source 'loud_items': a source of kind python needs 'input'"),
])
def test_wrong_python_sources_are_refused_where_written(tmp_path, change, message):
    repo = fst.make_repo(tmp_path / "toy", change(YAML), apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "featherstone.yaml" + message in p.stderr, p.stderr


def test_ingest_of_a_python_source_says_how_to_run_it(tmp_path):
    repo = fst.make_repo(tmp_path / "toy", YAML)
    p = fst.run(["ingest", "loud_items"], repo, ok=1)
    assert ("source 'loud_items' is of kind python: its rows come from the Python transform "
            "loud:shout over source 'items'; run it from Python: "
            "FeatureStore(REPO).run_transform('loud_items')") in p.stderr, p.stderr
    p = fst.run(["describe", "loud_items"], repo)
    assert "python" in p.stdout and "loud:shout" in p.stdout, p.stdout
