"""FeatureStore.search_catalog: the rows of `featherstone catalog search --json`."""

import json

import pytest

import featherstone as fst
import shop

YAML = shop.SHOP_YAML.replace("""    description: A buying customer
""", """    description: A buying customer
    owner: crm
    tags: [people]
""").replace("""      - {name: amount}
""", """      - {name: amount, description: Amount of the latest order in euros, tags: [money]}
""")


@pytest.fixture
def catalog_repo(tmp_path):
    repo = tmp_path / "catalog"
    repo.mkdir()
    (repo / "featherstone.yaml").write_text(YAML)
    fs = fst.FeatureStore(repo)
    fs.apply()
    yield fs, repo
    fs.close()


def test_search_catalog_gives_the_rows_of_the_cli(catalog_repo, cli_bin):
    fs, repo = catalog_repo
    for args, kwargs in [(["amount"], {}), (["euros"], {}), (["--tag", "people"], {"tag": "people"}),
                         (["order", "--kind", "feature"], {"kind": "feature"}),
                         (["--owner", "CRM"], {"owner": "CRM"}), (["zebra"], {})]:
        text = args[0] if args and not args[0].startswith("--") else ""
        cli = json.loads(shop.cli(["catalog", "search", *args, "--json"], repo).stdout)
        assert fs.search_catalog(text, **kwargs) == cli, args
    rows = fs.search_catalog("amount")
    assert rows[0]["name"] == "customer_features:amount" and rows[0]["exact_name"] is True
    assert [r["name"] for r in fs.search_catalog("euros")] == ["customer_features:amount"]
    assert [r["name"] for r in fs.search_catalog(owner="crm")] == ["customer"]
    assert len(fs.search_catalog(limit=2)) == 2


def test_search_catalog_refuses_an_unknown_kind(catalog_repo):
    fs, _ = catalog_repo
    with pytest.raises(fst.FeatherstoneError, match="unknown kind 'table'"):
        fs.search_catalog("x", kind="table")
