"""kind: files sources (docs/connectors.md "Files"): one row per file, re-ingests read only new
and changed files, deletions are rows with null content and deleted = true, non-UTF-8 text is
quarantined, a large file is streamed."""
import datetime as dt
import json
import os
import subprocess

import pyarrow.parquet as pq
import pytest

import fst

DOCS_YAML = """\
project: docs
registry: sqlite
online_store: rocksdb
entities:
  - name: document
    join_keys: [doc]
sources:
  - name: notes
    kind: files
    path: docs/**/*.md
    format: text
    key_from: path
    timestamp_from: mtime
    timestamp_field: mtime
    schema:
      - {name: doc, type: string, path: key}
      - {name: mtime, type: timestamp}
      - {name: size, type: int64}
      - {name: content, type: string}
      - {name: media_type, type: string}
      - {name: content_hash, type: string}
      - {name: deleted, type: bool}
  - name: blobs
    kind: files
    path: blobs/*
    format: bytes
    key_from: stem
    timestamp_field: mtime
    schema:
      - {name: doc, type: string, path: key}
      - {name: mtime, type: timestamp}
      - {name: size, type: int64}
      - {name: content, type: bytes}
      - {name: media_type, type: string}
      - {name: content_hash, type: string}
feature_views:
  - name: note_features
    entities: [document]
    source: notes
    online: false
    features:
      - {name: content}
      - {name: size}
      - {name: deleted}
      - {name: media_type}
"""

FEATURES = ("note_features:content,note_features:size,note_features:deleted,"
            "note_features:media_type")
T1 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)


def write(repo, name, data, at):
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def docs_repo(tmp_path, yaml=DOCS_YAML):
    return fst.make_repo(tmp_path / "docs", yaml)


def at(repo, doc, when, tag):
    rows, _ = fst.historical(repo, [[doc, fst.iso(when)]], features=FEATURES,
                             spine_header=["doc", "event_timestamp"], tag=tag)
    assert len(rows) == 1, rows
    return rows[0]


def offline_rows(repo, source):
    """Every row of the source's part files (all published: no crash in these tests)."""
    rows = []
    for part in sorted((repo / ".featherstone" / "offline" / source).rglob("*.parquet")):
        rows += pq.read_table(part).to_pylist()
    return rows


def test_add_change_delete_between_ingests_and_history_follows(tmp_path):
    repo = docs_repo(tmp_path)
    write(repo, "docs/guide.md", "# Guide v1\n", T1)
    write(repo, "docs/deep/faq.md", "# FAQ\n", T1)
    write(repo, "docs/skip.txt", "not matched", T1)
    out = fst.ingest(repo, "notes").stdout
    assert "ingested files:docs/**/*.md: 2 rows into source 'notes'" in out, out

    # Nothing changed (a touched file with the same bytes is not a change): nothing read.
    write(repo, "docs/deep/faq.md", "# FAQ\n", T2)
    out = fst.ingest(repo, "notes").stdout
    assert out.strip() == "skipped files:docs/**/*.md: nothing new since the last ingest", out

    write(repo, "docs/guide.md", "# Guide v2, longer\n", T2)
    write(repo, "docs/new.md", "new", T2)
    out = fst.ingest(repo, "notes").stdout
    assert ": 2 rows into source 'notes'" in out, out  # the change and the new file only

    (repo / "docs" / "guide.md").unlink()
    before_delete = dt.datetime.now(dt.timezone.utc)
    out = fst.ingest(repo, "notes").stdout
    assert ": 1 rows into source 'notes'" in out, out
    assert fst.ingest(repo, "notes").stdout.startswith("skipped")  # a deletion is recorded once

    mid = at(repo, "docs/guide.md", T1 + dt.timedelta(days=1), "mid")
    assert mid["content"] == "# Guide v1\n"
    assert mid["size"] == "11"
    assert mid["deleted"] == "false"
    assert mid["media_type"] == "text/markdown"
    later = at(repo, "docs/guide.md", T2 + dt.timedelta(days=1), "later")
    assert later["content"] == "# Guide v2, longer\n"
    gone = at(repo, "docs/guide.md", before_delete + dt.timedelta(days=1), "gone")
    assert gone["content"] is None
    assert gone["deleted"] == "true"
    faq = at(repo, "docs/deep/faq.md", T2 + dt.timedelta(days=1), "faq")
    assert faq["content"] == "# FAQ\n"

    rows = offline_rows(repo, "notes")
    assert sorted((r["doc"], r["deleted"]) for r in rows) == [
        ("docs/deep/faq.md", False), ("docs/guide.md", False), ("docs/guide.md", False),
        ("docs/guide.md", True), ("docs/new.md", False)]
    hashes = [r["content_hash"] for r in rows if r["doc"] == "docs/guide.md"]
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in hashes[:2]), hashes  # XXH3-128 hex
    assert hashes[0] != hashes[1] and hashes[2] is None, hashes

    # A deleted file that comes back is a new row again.
    write(repo, "docs/guide.md", "# Guide v3\n", T2)
    out = fst.ingest(repo, "notes").stdout
    assert ": 1 rows into source 'notes'" in out, out


def test_binary_files_and_keys_from_the_stem(tmp_path):
    repo = docs_repo(tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    write(repo, "blobs/logo.png", png, T1)
    write(repo, "blobs/raw", b"\x00\xff\xfe\x80", T1)
    out = fst.ingest(repo, "blobs").stdout
    assert ": 2 rows into source 'blobs'" in out, out
    rows = {r["doc"]: r for r in offline_rows(repo, "blobs")}
    assert rows["logo"]["content"] == png
    assert rows["logo"]["media_type"] == "image/png"
    assert rows["logo"]["size"] == len(png)
    assert rows["raw"]["content"] == b"\x00\xff\xfe\x80"
    assert rows["raw"]["media_type"] == "application/octet-stream"
    assert rows["raw"]["mtime"] == T1


def test_text_that_is_not_utf8_is_quarantined_with_the_reason(tmp_path):
    repo = docs_repo(tmp_path)
    write(repo, "docs/good.md", "fine", T1)
    write(repo, "docs/latin1.md", "caf\xe9".encode("latin-1"), T1)
    p = fst.ingest(repo, "notes")
    assert ": 1 rows into source 'notes'" in p.stdout, p.stdout
    assert "docs/latin1.md: not valid UTF-8 text" in p.stderr, p.stderr
    shown = json.loads(fst.run(["quarantine", "show", "notes", "--json"], repo).stdout)
    reasons = json.dumps(shown["rows"])
    assert "docs/latin1.md: not valid UTF-8 text" in reasons, reasons
    # The same bytes are not read again; fixed, the file is ingested.
    assert fst.ingest(repo, "notes").stdout.startswith("skipped")
    write(repo, "docs/latin1.md", "café", T2)
    assert ": 1 rows into source 'notes'" in fst.ingest(repo, "notes").stdout


def test_unknown_column_and_key_are_refused_with_their_line(tmp_path):
    yaml = DOCS_YAML.replace("      - {name: deleted, type: bool}\n",
                             "      - {name: deleted, type: bool}\n"
                             "      - {name: author, type: string}\n", 1)
    repo = fst.make_repo(tmp_path / "docs", yaml, apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert ("featherstone.yaml:23:9: source 'notes': column 'author' is not a column of a "
            "files source; available: path, key, size, mtime, content, media_type, "
            "content_hash, deleted") in p.stderr, p.stderr
    yaml = DOCS_YAML.replace("    key_from: path\n", "    key_frm: path\n", 1)
    (repo / "featherstone.yaml").write_text(yaml)
    p = fst.run(["plan"], repo, ok=1)
    assert ("featherstone.yaml:12:5: source 'notes': unknown key 'key_frm' for a source of "
            "kind files; did you mean 'key_from'?") in p.stderr, p.stderr


def test_a_crash_before_the_publish_reads_the_same_files_again_once(tmp_path):
    repo = docs_repo(tmp_path)
    write(repo, "docs/a.md", "a1", T1)
    write(repo, "docs/b.md", "b1", T1)
    fst.ingest(repo, "notes")
    write(repo, "docs/a.md", "a2", T2)
    (repo / "docs" / "b.md").unlink()
    p = fst.ingest(repo, "notes", env={"FST_KILL_POINT": "ingest.before_publish"}, ok=None)
    assert p.returncode == -9, p.stdout + p.stderr
    out = fst.ingest(repo, "notes").stdout  # the state did not move: the same change again
    assert ": 2 rows into source 'notes'" in out, out
    assert fst.ingest(repo, "notes").stdout.startswith("skipped")
    after = T2 + dt.timedelta(days=400)
    assert at(repo, "docs/a.md", after, "a")["content"] == "a2"
    assert at(repo, "docs/b.md", after, "b")["deleted"] == "true"


@pytest.mark.slow
def test_large_files_are_streamed_with_bounded_memory(tmp_path):
    repo = docs_repo(tmp_path)
    size = 100 << 20
    (repo / "blobs").mkdir()
    for name in ("big1.bin", "big2.bin"):
        with open(repo / "blobs" / name, "wb") as f:
            for _ in range(size >> 20):
                f.write(os.urandom(1 << 20))  # incompressible: the worst case for the part
    for i in range(20):
        write(repo, f"blobs/small{i:02d}", os.urandom(4096), T1)
    p, peak = fst.run_measuring_peak([fst.BIN, "-C", repo, "ingest", "blobs"])
    assert p.returncode == 0, p.stderr
    assert ": 22 rows into source 'blobs'" in p.stdout, p.stdout
    print(f"peak RSS ingesting two {size >> 20} MiB files and 20 small ones: {peak >> 20} MiB")
    # One file while its part is written: the content read, and Arrow's Parquet writer's
    # value buffer, page (with levels) and compressed page: 4x; the next file read: 1x; the
    # process itself ~60 MiB. Measured 568 MiB. Both files and their copies would be > 900.
    assert peak < 6.5 * size, f"peak RSS {peak >> 20} MiB"
    sizes = sorted(r["size"] for r in offline_rows(repo, "blobs"))
    assert sizes[-2:] == [size, size] and sizes[0] == 4096


def test_the_example_in_the_docs_runs_as_written(tmp_path):
    text = (fst.REPO_ROOT / "docs" / "connectors.md").read_text()
    section = text[text.index("## Files"):text.index("## Writing a connector")]
    script = section[section.index("```sh\n") + 6:]
    script = script[:script.index("```")]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "featherstone").symlink_to(fst.BIN)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=fst.TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = [line for line in p.stdout.splitlines() if "files:docs" in line]
    assert len(lines) == 3, p.stdout
    assert lines[0].startswith("ingested files:docs/**/*.md: 2 rows into source 'pages'")
    assert lines[1] == "skipped files:docs/**/*.md: nothing new since the last ingest"
    assert lines[2].startswith("ingested files:docs/**/*.md: 2 rows into source 'pages'")


def test_a_file_argument_is_refused_and_a_file_source_still_needs_one(tmp_path):
    repo = docs_repo(tmp_path)
    write(repo, "docs/a.md", "a", T1)
    p = fst.ingest(repo, "notes", repo / "docs" / "a.md", ok=1)
    assert ("source 'notes' is of kind files: it reads the files matching 'docs/**/*.md' "
            "itself; run `featherstone ingest notes` without files (") in p.stderr, p.stderr
    shop = fst.make_repo(tmp_path / "shop", fst.SHOP_YAML)
    p = fst.ingest(shop, "orders", ok=1)
    assert "source 'orders' (kind file) does not read its own input" in p.stderr, p.stderr
