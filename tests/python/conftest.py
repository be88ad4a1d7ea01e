import os

import pytest

import featherstone as fst
import shop


def pytest_report_header(config):
    return f"featherstone package: {fst.__file__}\nfeatherstone binary: {shop.BIN}"


@pytest.fixture
def cli_bin():
    if not os.access(shop.BIN, os.X_OK):
        pytest.fail(f"no featherstone binary at {shop.BIN} (set FST_BIN)", pytrace=False)
    return shop.BIN


@pytest.fixture
def orders_rows():
    return shop.make_orders()


@pytest.fixture
def yaml_repo(tmp_path):
    """A repo with SHOP_YAML written (not applied)."""
    repo = tmp_path / "yaml_shop"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(shop.SHOP_YAML)
    return repo


@pytest.fixture
def loaded(tmp_path, orders_rows):
    """A repo with the Python shop definitions applied and the orders ingested (from CSV);
    yields (fs, repo path, orders csv path)."""
    repo = tmp_path / "shop"
    fs = fst.FeatureStore(repo)
    shop.define_shop(fs)
    fs.apply()
    csv = shop.write_orders_csv(tmp_path / "orders.csv", orders_rows)
    fs.ingest("orders", csv)
    yield fs, repo, csv
    fs.close()
