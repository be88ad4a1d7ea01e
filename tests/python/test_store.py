"""FeatureStore lifecycle and the registry calls: plan, apply, list, describe, refresh."""

import datetime as dt

import pytest

import featherstone as fst
import shop


def test_repo_folder_is_created_and_yaml_applies_like_the_cli(tmp_path):
    repo = tmp_path / "a" / "b"
    fs = fst.FeatureStore(repo)
    assert repo.is_dir() and fs.repo_path == repo.resolve()
    (repo / "featherstone.yaml").write_text(shop.SHOP_YAML)
    # churn_model__log: the source the service's feature log is published into (docs/serving.md)
    assert fs.plan() == ["+ entity customer", "+ source churn_model__log", "+ source orders",
                         "+ feature_view customer_features", "+ feature_service churn_model"]
    assert len(fs.apply()) == 5
    assert fs.plan() == [] and fs.apply() == []
    assert "FeatureStore(" in repr(fs)


def test_list_and_describe(tmp_path):
    fs = fst.FeatureStore(tmp_path / "repo")
    view = shop.define_shop(fs)
    fs.apply()
    objects = fs.list_objects()
    assert [(o.kind, o.name, o.version) for o in objects] == [
        ("entity", "customer", 1), ("source", "churn_model__log", 1), ("source", "orders", 1),
        ("feature_view", "customer_features", 1), ("feature_service", "churn_model", 1)]
    assert all(len(o.hash) >= 12 and isinstance(o.applied_at, dt.datetime) for o in objects)
    assert fs.list_feature_views() == [view]
    assert fs.list_entities()[0].join_keys == ["customer_id"]
    assert fs.list_sources()[1].columns == ["customer_id", "order_id", "amount", "event_ts",
                                            "created_ts"]
    assert fs.list_feature_services()[0].features == shop.FEATURES
    assert [o.name for o in fs.list_objects("source")] == ["churn_model__log", "orders"]
    d = fs.describe("customer_features")
    assert (d["kind"], d["version"], d["spec"]["ttl"]) == ("feature_view", 1, "30d")
    assert d["hash"] == objects[3].hash and len(d["history"]) == 1
    with pytest.raises(fst.NotFoundError, match="nothing named 'nope' is applied"):
        fs.describe("nope")
    assert str(fst.NotFoundError("x y")) == "x y"


def test_describe_matches_the_cli(tmp_path, cli_bin):
    fs = fst.FeatureStore(tmp_path / "repo")
    shop.define_shop(fs)
    fs.apply()
    out = shop.cli(["describe", "customer_features"], fs.repo_path).stdout
    assert out.startswith("feature_view customer_features  (version 1,")
    assert fs.describe("customer_features")["hash"][:12] in out


def test_refresh_sees_what_the_cli_applied(yaml_repo, cli_bin):
    fs = fst.FeatureStore(yaml_repo)
    fs.apply()
    (yaml_repo / "featherstone.yaml").write_text(shop.SHOP_YAML.replace("ttl: 30d", "ttl: 9d"))
    shop.cli(["apply"], yaml_repo)
    fs.refresh()
    assert fs.list_feature_views()[0].ttl == "9d"


def test_closed_store_raises(tmp_path):
    with fst.FeatureStore(tmp_path / "repo") as fs:
        shop.define_shop(fs)
        fs.apply()
    with pytest.raises(fst.FeatherstoneError, match="closed"):
        fs.list_objects()
    with pytest.raises(fst.FeatherstoneError, match="closed"):
        fs.get_online_features(shop.FEATURES, [{"customer_id": 1}])


def test_help_is_useful():
    doc = fst.FeatureStore.__doc__
    assert "get_historical_features" in doc and "feature_view" in doc
    for name in ("feature_view", "apply", "plan", "ingest", "materialize",
                 "get_historical_features", "get_online_features", "to_yaml", "describe",
                 "list_feature_views"):
        assert getattr(fst.FeatureStore, name).__doc__, name
    for fn in (fst.count, fst.avg, fst.expr, fst.days_since, fst.Entity, fst.FileSource):
        assert fn.__doc__


def test_timestamps_helpers():
    from featherstone import _time

    assert _time.to_micros(dt.datetime(1970, 1, 1, 0, 0, 1)) == 1_000_000
    assert _time.to_micros(dt.datetime(1970, 1, 1, 1, 0, 1,
                                       tzinfo=dt.timezone(dt.timedelta(hours=1)))) == 1_000_000
    assert _time.to_micros(dt.date(1970, 1, 2)) == 86_400_000_000
    assert _time.to_micros("1970-01-01T00:00:01Z") == 1_000_000
    assert _time.to_micros(1) == 1_000_000  # epoch seconds, as the CLI reads them
    with pytest.raises(fst.ValidationError):
        _time.to_micros(True)
    assert _time.duration_text(dt.timedelta(hours=36)) == "36h"
    assert _time.duration_text(3600) == "1h"
