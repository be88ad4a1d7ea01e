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


def test_metadata_declared_in_python_is_applied_searched_and_read_back(tmp_path):
    repo = tmp_path / "py"
    repo.mkdir()
    fs = fst.FeatureStore(repo)
    customer = fst.Entity("customer", join_keys=["customer_id"], owner="crm",
                          tags=["people"], labels={"tier": "gold"})
    orders = fst.FileSource("orders", {"customer_id": "int64", "amount": "float64",
                                       "event_ts": "timestamp"}, "event_ts",
                            owner="payments", tags=["raw"])

    @fs.feature_view(entities=[customer], source=orders, owner="growth", tags=["spend"],
                     labels={"pii": "no"})
    def spend(o):
        """Spending of a customer."""
        return {"total": fst.sum(o.amount, window="30d")}

    service = fst.FeatureService("churn", [spend], owner="ml", tags=["model"])
    for obj in (customer, orders, service):
        fs.register(obj)
    fs.apply()
    assert [r["name"] for r in fs.search_catalog(tag="spend")] == ["spend"]
    assert [r["name"] for r in fs.search_catalog(owner="payments")] == ["orders"]
    assert [r["name"] for r in fs.search_catalog(tag="model")] == ["churn"]
    spec = fs.describe("customer")["spec"]
    assert (spec["owner"], spec["tags"], spec["labels"]) == ("crm", ["people"], {"tier": "gold"})
    # Read back from the registry, each object equals its declaration: nothing to apply again.
    for kind, obj in [("entity", customer), ("source", orders), ("feature_view", spend),
                      ("feature_service", service)]:
        assert fst.definitions.from_spec(kind, fs.describe(obj.name)["spec"]) == obj, kind
    assert fs.apply() == []
    with pytest.raises(fst.FeatherstoneError, match="tags must be a list of strings"):
        fst.Entity("x", join_keys=["x_id"], tags="people")
    fs.close()
