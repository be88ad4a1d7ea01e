"""Settings without a backend in this build are refused at plan, with where they were written,
and nothing is written; a mistyped verb names the closest one."""
import fst


def test_unknown_registry_is_refused_at_plan_without_its_password(tmp_path):
    repo = tmp_path / "shop"
    yaml = fst.SHOP_YAML.replace("registry: sqlite", "registry: mysql://fst:s3cret@127.0.0.1/shop")
    fst.make_repo(repo, yaml, apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert ("featherstone.yaml:2:11: registry 'mysql://fst:***@127.0.0.1/shop' is not a known "
            "value; supported: sqlite, postgresql://, postgres://") in p.stderr
    assert "s3cret" not in p.stderr
    assert not (repo / ".featherstone").exists()


def test_unknown_online_store_value_lists_the_supported_ones(tmp_path):
    repo = tmp_path / "shop"
    fst.make_repo(repo, fst.SHOP_YAML.replace("online_store: rocksdb", "online_store: rocks"),
                  apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "online_store 'rocks' is not a known value; supported: rocksdb, redis://" in p.stderr


def test_postgres_source_without_its_keys_is_refused_at_plan(tmp_path):
    repo = tmp_path / "shop"
    fst.make_repo(repo, fst.SHOP_YAML.replace("kind: file", "kind: postgres"), apply=False)
    p = fst.run(["plan"], repo, ok=1)
    assert "featherstone.yaml:9:5: source 'orders' is missing required key 'dsn'" in p.stderr
    listed = fst.run(["list"], repo).stdout
    assert "Nothing applied" in listed


def test_mistyped_verb_names_the_closest(tmp_path):
    p = fst.run(["histrical", "--service", "x"], tmp_path, ok=2)
    assert "unknown command 'histrical'; did you mean 'historical'?" in p.stderr
    p = fst.run(["frobnicate"], tmp_path, ok=2)
    assert "unknown command 'frobnicate'" in p.stderr and "did you mean" not in p.stderr
    assert "commands: init, plan, apply" in p.stderr
