"""fs.ingest(source) without data for a source that reads its own input (kind: files)."""
import featherstone as fst

YAML = """\
project: pages
registry: sqlite
online_store: rocksdb
sources:
  - name: pages
    kind: files
    path: docs/*.md
    timestamp_field: mtime
    schema:
      - {name: path, type: string}
      - {name: mtime, type: timestamp}
      - {name: content, type: string}
"""


def test_ingest_without_data_reads_new_changed_and_deleted_files(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "featherstone.yaml").write_text(YAML)
    (tmp_path / "docs" / "a.md").write_text("# A")
    fs = fst.FeatureStore(tmp_path)
    fs.apply()
    first = fs.ingest("pages")
    assert (first.input, first.rows, first.skipped) == ("files:docs/*.md", 1, False)
    again = fs.ingest("pages")
    assert again.skipped and again.rows == 0 and again.ingest_id == 0
    (tmp_path / "docs" / "a.md").unlink()
    assert fs.ingest("pages").rows == 1  # the deletion
