"""DESIGN section 1's Python, run on a repo made by `featherstone init`: the decorator's view
replaces the YAML view of the same name, and the engine serves it."""

import pandas as pd

import featherstone as fst
import shop


def test_design_section_1_on_an_init_repo(tmp_path, cli_bin):
    repo = tmp_path / "shop"
    shop.cli(["init", repo, "--customers", "200", "--days", "60"])
    fs = fst.FeatureStore(repo)
    assert len(fs.apply()) >= 4  # the YAML alone, as `featherstone apply` would
    customer = fst.Entity("customer", join_keys=["customer_id"],
                          description="A buying customer", owner="crm-team")

    @fs.feature_view(name="customer_features", entities=[customer], source="orders",
                     ttl="30d", online=True)
    def customer_features(o):
        return {
            "purchase_frequency_30d": fst.count(o.order_id, window="30d"),
            "average_order_value": fst.avg(o.amount, window="365d"),
            "last_order_ts": fst.last(o.event_ts, window="365d"),
            "churn_risk_score": fst.expr("1/(1+exp(0.9*purchase_frequency_30d"
                                         " - 0.02*days_since(last_order_ts) - 0.5))"),
        }

    changes = fs.apply()
    assert [(c.op, c.kind, c.name) for c in changes] == [
        ("~", "feature_view", "customer_features")]
    fs.ingest("orders", repo / "data" / "orders.csv")
    spine = pd.read_csv(repo / "data" / "spine.csv", parse_dates=["event_timestamp"])
    train = fs.get_historical_features(spine, features=["customer_features:churn_risk_score"])
    assert train.num_rows == len(spine)
    scores = [s for s in train.column("churn_risk_score").to_pylist() if s is not None]
    assert scores and all(0 < s < 1 for s in scores)
    end = spine.event_timestamp.max()
    fs.materialize(end=end)
    got = fs.get_online_features(features=["customer_features:churn_risk_score"],
                                 entity_rows=[{"customer_id": 42}], at=end)
    assert list(got) == ["customer_id", "churn_risk_score"]
