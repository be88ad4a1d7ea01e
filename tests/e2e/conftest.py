import os

import pytest

import fst


def pytest_report_header(config):
    return f"featherstone binary: {fst.BIN}"


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    if not os.access(fst.BIN, os.X_OK):
        pytest.fail(f"no featherstone binary at {fst.BIN} (set FST_BIN or build it)", pytrace=False)


@pytest.fixture
def shop(tmp_path):
    """A repo with the standard definitions (fst.SHOP_YAML), applied, and nothing ingested."""
    repo = tmp_path / "shop"
    fst.make_repo(repo, fst.SHOP_YAML)
    return repo
