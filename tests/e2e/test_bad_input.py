"""Bad input is refused with a precise message and leaves the stores as they were.

Each test loads a repo with good data, takes a snapshot (the historical output for a fixed
spine, byte for byte, and the `list` output), feeds one kind of bad input, checks the exit
code and the message, and checks the snapshot again.
"""
import re

import pytest

import fst

GOOD_ROWS = [
    [1, "o1", "10.5", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
    [2, "o2", "20.0", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"],
    [1, "o3", None, "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"],
    [3, "o4", "7.25", "2026-01-04T00:00:00Z", "2026-01-04T00:00:00Z"],
]
SPINE = [[1, "2026-01-10T00:00:00Z"], [2, "2026-01-10T00:00:00Z"], [3, "2026-01-10T00:00:00Z"],
         [3, "2026-01-01T00:00:00Z"], [99, "2026-01-10T00:00:00Z"]]

# Rows newer than the good ones: any of them made visible would change the snapshot.
HEADER_LINE = "customer_id,order_id,amount,event_ts,created_ts"
NEW_1 = "1,o10,11.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z"
NEW_2 = "2,o11,12.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z"
NEW_4 = "3,o13,14.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z"


def bad_file(tmp_path, name, third_line, header=HEADER_LINE):
    """A CSV whose third data row (line 4 of the file) is `third_line`."""
    path = tmp_path / name
    path.write_text("\n".join([header, NEW_1, NEW_2, third_line, NEW_4]) + "\n")
    return path


def snapshot(repo):
    _, out_bytes = fst.historical(repo, SPINE, tag="snapshot")
    listing = fst.run(["list"], repo).stdout
    return out_bytes, listing


@pytest.fixture
def loaded(tmp_path):
    repo = fst.make_repo(tmp_path / "shop", fst.SHOP_YAML)
    good = fst.write_csv(tmp_path / "good.csv", fst.ORDERS_HEADER, GOOD_ROWS)
    fst.ingest(repo, "orders", good)
    before = snapshot(repo)
    rows = fst.read_csv(tmp_path / "shop-snapshot" / "out.csv")
    assert [r["order_id"] for r in rows] == ["o3", "o2", "o4", None, None], before[0]
    return repo, before


def assert_unchanged(repo, before):
    after = snapshot(repo)
    assert after[0] == before[0], "historical output changed after a refused input"
    assert after[1] == before[1], "`list` output changed after a refused input"


def names_row(stderr, file_name, data_row):
    """The message points at the row: 'row N' (1-based data row) or 'line N+1' / FILE:N+1."""
    line = data_row + 1
    pat = (rf"(row|line)\D{{0,3}}({data_row}|{line})\b|{re.escape(file_name)}:({data_row}|{line})\b")
    return re.search(pat, stderr, re.IGNORECASE) is not None


def check_ingest_refused(repo, before, path, *parts, row=None):
    p = fst.ingest(repo, "orders", path, ok=1)
    for part in (path.name,) + parts:
        assert part in p.stderr, f"stderr does not name {part!r}: {p.stderr}"
    if row is not None:
        assert names_row(p.stderr, path.name, row), f"stderr does not name row {row}: {p.stderr}"
    assert_unchanged(repo, before)
    return p


def test_malformed_csv_unbalanced_quote(loaded, tmp_path):
    repo, before = loaded
    path = bad_file(tmp_path, "unbalanced.csv",
                    '3,"o12,13.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z')
    check_ingest_refused(repo, before, path)


def test_wrong_field_count(loaded, tmp_path):
    repo, before = loaded
    path = bad_file(tmp_path, "fields.csv",
                    "3,o12,13.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z,extra")
    check_ingest_refused(repo, before, path, row=3)


def test_wrong_type_names_file_row_column_value_type(loaded, tmp_path):
    repo, before = loaded
    path = bad_file(tmp_path, "wrong_type.csv",
                    "3,o12,abc,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z")
    check_ingest_refused(repo, before, path, "amount", "abc", "float64", row=3)


def test_missing_column(loaded, tmp_path):
    repo, before = loaded
    path = tmp_path / "no_order_id.csv"
    path.write_text("customer_id,amount,event_ts,created_ts\n"
                    "1,11.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z\n")
    check_ingest_refused(repo, before, path, "order_id")


def test_unparseable_timestamp(loaded, tmp_path):
    repo, before = loaded
    path = bad_file(tmp_path, "bad_ts.csv", "3,o12,13.0,yesterday,2026-01-05T00:00:00Z")
    check_ingest_refused(repo, before, path, "event_ts", "yesterday", row=3)


def test_unknown_source(loaded, tmp_path):
    repo, before = loaded
    path = bad_file(tmp_path, "fine.csv", "3,o12,13.0,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z")
    p = fst.run(["ingest", "no_such_source", path], repo, ok=1)
    assert "no_such_source" in p.stderr, p.stderr
    assert_unchanged(repo, before)


def test_unknown_view_in_features(loaded):
    repo, before = loaded
    p, _ = fst.historical(repo, SPINE, features="no_such_view:amount", ok=1, tag="bad")
    assert "no_such_view" in p.stderr, p.stderr
    assert not (repo.parent / "shop-bad" / "out.csv").exists(), "an output file was written"
    assert_unchanged(repo, before)


def test_unknown_feature(loaded):
    repo, before = loaded
    p, _ = fst.historical(repo, SPINE, features="customer_features:no_such_feature", ok=1,
                          tag="bad")
    assert "no_such_feature" in p.stderr, p.stderr
    assert not (repo.parent / "shop-bad" / "out.csv").exists(), "an output file was written"
    assert_unchanged(repo, before)


def yaml_with(old, new):
    assert fst.SHOP_YAML.count(old) == 1
    text = fst.SHOP_YAML.replace(old, new)
    line = text[:text.index(new)].count("\n") + 1
    return text, line


def check_definitions_refused(repo, before, text, lines, *parts):
    """lines: the acceptable line numbers in the `featherstone.yaml:LINE` the message gives."""
    (repo / "featherstone.yaml").write_text(text)
    for verb in ("plan", "apply"):
        p = fst.run([verb], repo, ok=1)
        assert any(re.search(rf"featherstone\.yaml:{n}\b", p.stderr) for n in lines), \
            f"{verb}: stderr does not point at featherstone.yaml:{lines}: {p.stderr}"
        for part in parts:
            assert part in p.stderr, f"{verb}: stderr does not name {part!r}: {p.stderr}"
    (repo / "featherstone.yaml").write_text(fst.SHOP_YAML)
    assert_unchanged(repo, before)
    assert "No changes" in fst.run(["plan"], repo).stdout


def test_yaml_typo_names_file_line_and_key(loaded):
    repo, before = loaded
    text, line = yaml_with("    ttl: 30d\n", "    tll: 30d\n")
    check_definitions_refused(repo, before, text, [line], "tll")


def test_dangling_entity_reference(loaded):
    repo, before = loaded
    text, line = yaml_with("    entities: [customer]\n", "    entities: [shopper]\n")
    # The line of the reference, or of the view that holds it (the line above).
    check_definitions_refused(repo, before, text, [line, line - 1], "shopper")


@pytest.mark.parametrize("args", [
    ["ingest", "--no-such-flag", "orders", "x.csv"],
    ["historical", "--entities", "spine.csv"],
    ["materialize"],
    ["no-such-verb"],
], ids=["unknown-flag", "missing-required-options", "materialize-without-range", "unknown-verb"])
def test_usage_errors_exit_2(loaded, args):
    repo, before = loaded
    p = fst.run(args, repo, ok=2)
    assert p.stderr.strip(), "a usage error says what is wrong on stderr"
    assert_unchanged(repo, before)
