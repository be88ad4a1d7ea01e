"""scripts/quickstart runs the whole loop and ends with an online lookup of customer 42."""
import json
import re
import shutil
import subprocess

import pytest

import fst


@pytest.mark.slow
def test_quickstart():
    p = subprocess.run([str(fst.REPO_ROOT / "scripts" / "quickstart")], cwd=fst.REPO_ROOT,
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout[-4000:]}\n" \
                              f"stderr:\n{p.stderr[-4000:]}"
    for header in ("==> plan", "==> apply", "==> ingest", "==> materialize", "==> historical",
                   "==> online"):
        assert header in p.stdout, f"no {header!r} step in:\n{p.stdout}"
    after = p.stdout[p.stdout.index("==> online"):]
    after = after[after.index("\n") + 1:]
    value, _ = json.JSONDecoder().raw_decode(after[after.index("["):])
    assert isinstance(value, list) and len(value) == 1, value
    assert int(value[0]["customer_id"]) == 42, value
    assert len(value[0]) > 1, f"no features in {value}"
    where = re.search(r"example repo is at (/\S+)/shop\b", p.stdout)
    if where and "featherstone-quickstart" in where.group(1):
        shutil.rmtree(where.group(1), ignore_errors=True)
