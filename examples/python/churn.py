#!/usr/bin/env python3
"""Churn prediction with Featherstone, notebook style: the seed's flow end to end.

  1. generate a year of orders for a few thousand customers (pandas/numpy);
  2. declare the customer entity, the orders source and customer_features in Python;
  3. apply, ingest the orders DataFrame;
  4. build a point-in-time-correct training set from a spine of (customer, time, label);
  5. train a scikit-learn LogisticRegression;
  6. materialize the online store and score a few customers online.

Run:  .venv/bin/python examples/python/churn.py [--customers 2000] [--repo DIR]
(after scripts/setup and `pip install --no-build-isolation .`; see docs/python.md).
"""

import argparse
import datetime as dt
import pathlib
import tempfile

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import featherstone as fst

START = pd.Timestamp("2026-01-01")  # naive timestamps are UTC for Featherstone
DAYS = 365
CHURN_HORIZON = pd.Timedelta(days=30)


# -- 1. data ----------------------------------------------------------------------------------

def generate_orders(customers: int, seed: int) -> pd.DataFrame:
    """Orders over a year: each customer buys at their own rate and basket size; about 40%
    stop buying (churn) at some point in the year. A few events arrive late (created long
    after the event) and a few are duplicated, as real feeds do."""
    rng = np.random.default_rng(seed)
    rate_per_day = rng.gamma(shape=2.0, scale=0.05, size=customers)  # ~one order / 10 days
    basket = rng.lognormal(mean=3.5, sigma=0.5, size=customers)       # ~33 per order
    churn_day = np.where(rng.random(customers) < 0.4, rng.uniform(60, DAYS, customers), np.inf)
    counts = rng.poisson(rate_per_day * DAYS)
    cid = np.repeat(np.arange(1, customers + 1), counts)
    day = rng.uniform(0, DAYS, counts.sum())
    keep = day < churn_day[cid - 1]
    cid, day = cid[keep], day[keep]
    amount = np.round(basket[cid - 1] * rng.lognormal(0, 0.3, cid.size), 2)
    event_ts = START + pd.to_timedelta(day, unit="D").round("s")
    delay = pd.to_timedelta(rng.exponential(600, cid.size).round(), unit="s")
    late = rng.random(cid.size) < 0.01
    delay = delay.where(~late, pd.Timedelta(days=2))
    orders = pd.DataFrame({
        "customer_id": cid.astype("int64"),
        "order_id": [f"o{i:07d}" for i in range(cid.size)],
        "amount": amount,
        "items": rng.integers(1, 8, cid.size).astype("int64"),
        "event_ts": event_ts,
        "created_ts": event_ts + delay,
    })
    dupes = orders.sample(frac=0.005, random_state=seed)
    return pd.concat([orders, dupes]).sort_values("created_ts", ignore_index=True)


def make_spine(orders: pd.DataFrame, customers: int, seed: int) -> pd.DataFrame:
    """Entity rows (customer_id, event_timestamp) with the label: did the customer order
    nothing in the 30 days after event_timestamp? Computed from the raw orders."""
    rng = np.random.default_rng(seed + 1)
    n = customers * 4
    spine = pd.DataFrame({
        "customer_id": rng.integers(1, customers + 1, n).astype("int64"),
        "event_timestamp": START + pd.to_timedelta(rng.uniform(90, DAYS - 31, n), unit="D")
        .round("h"),
    })
    times = orders.groupby("customer_id")["event_ts"].apply(np.sort)
    def churned(row):
        ts = times.get(row.customer_id)
        if ts is None:
            return 1
        t = row.event_timestamp.to_datetime64()
        i = np.searchsorted(ts, t, side="right")
        return int(i == len(ts) or ts[i] > t + CHURN_HORIZON.to_timedelta64())
    spine["churned"] = [churned(r) for r in spine.itertuples()]
    return spine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repo", help="feature repository folder (default: a temporary one)")
    args = parser.parse_args()
    repo = pathlib.Path(args.repo or tempfile.mkdtemp(prefix="churn-"))

    orders = generate_orders(args.customers, args.seed)
    spine = make_spine(orders, args.customers, args.seed)
    print(f"generated {len(orders):,} orders of {args.customers:,} customers; "
          f"{len(spine):,} labelled entity rows ({spine.churned.mean():.0%} churned)")

    # -- 2. definitions ---------------------------------------------------------------------
    fs = fst.FeatureStore(repo)
    customer = fst.Entity("customer", join_keys=["customer_id"], description="A buying customer")
    orders_source = fst.FileSource(
        "orders",
        schema={"customer_id": "int64", "order_id": "string", "amount": ("float64", True),
                "items": "int64", "event_ts": "timestamp", "created_ts": "timestamp"},
        timestamp_field="event_ts", created_timestamp_field="created_ts", format="parquet")

    # >>> The seed's features: windowed aggregations and expressions, computed by the engine.
    @fs.feature_view(name="customer_features", entities=[customer], source=orders_source,
                     ttl="365d", online=True)
    def customer_features(o):
        """Purchase behaviour of a customer."""
        return {
            "purchase_frequency_30d": fst.count(o.order_id, window="30d"),
            "average_order_value": fst.avg(o.amount, window="365d"),
            "last_order_ts": fst.last(o.event_ts, window="365d"),
            "days_since_last_order": fst.days_since("last_order_ts"),
            "churn_risk_score": fst.expr(
                "1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))"),
        }

    rich = ["purchase_frequency_30d", "average_order_value", "days_since_last_order",
            "churn_risk_score"]
    fs.feature_service("churn_model", [customer_features[f] for f in rich])

    # -- 3. apply and ingest ----------------------------------------------------------------
    for change in fs.apply():
        print("  ", change)
    result = fs.ingest(orders_source, orders)
    print(f"ingested {result.rows:,} rows into 'orders' (ingest #{result.ingest_id})")

    # -- 4. training set --------------------------------------------------------------------
    try:
        train = fs.get_historical_features(spine, service="churn_model").to_pandas()
        model_features = rich
    except fst.NotSupportedError as e:
        # >>> Fallback for engines that serve column (passthrough) features only: the latest
        # order's amount, items and time; days since the last order computed here. Delete this
        # branch once aggregations and expressions are served everywhere.
        print(f"engine: {e}\n  -> falling back to passthrough features")

        @fs.feature_view(name="customer_features", entities=[customer], source=orders_source,
                         ttl="365d", online=True)
        def customer_features(o):  # noqa: F811 - replaces the view above
            """Latest order of a customer."""
            return {"last_amount": o.amount, "last_items": o.items, "last_order_ts": o.event_ts}

        fs.feature_service("churn_model", customer_features)
        for change in fs.apply():
            print("  ", change)
        train = fs.get_historical_features(spine, service="churn_model").to_pandas()
        train["days_since_last_order"] = (
            train.event_timestamp - pd.to_datetime(train.last_order_ts, utc=True)).dt.days
        model_features = ["last_amount", "last_items", "days_since_last_order"]

    print(f"training set: {len(train):,} rows x {train.shape[1]} columns")
    print(train.head(3).to_string(index=False))

    # -- 5. model ---------------------------------------------------------------------------
    def matrix(frame: pd.DataFrame) -> np.ndarray:
        x = frame[model_features].astype("float64")
        return x.fillna({"days_since_last_order": 365.0}).fillna(0.0).to_numpy()

    cut = train.event_timestamp.quantile(0.75)  # train on the past, test on the future
    past, future = train[train.event_timestamp <= cut], train[train.event_timestamp > cut]
    model = LogisticRegression(max_iter=1000).fit(matrix(past), past.churned)
    auc = roc_auc_score(future.churned, model.predict_proba(matrix(future))[:, 1])
    print(f"logistic regression on {model_features}: test AUC {auc:.3f}")

    # -- 6. online scoring ------------------------------------------------------------------
    end = START + pd.Timedelta(days=DAYS)
    print("materialized:", fs.materialize(end=end))
    some = [{"customer_id": int(c)} for c in spine.customer_id.unique()[:5]]
    online = fs.get_online_features(service="churn_model", entity_rows=some, at=end).to_pandas()
    if "days_since_last_order" not in online:
        online["days_since_last_order"] = (
            end.tz_localize("UTC") - pd.to_datetime(online.last_order_ts, utc=True)).dt.days
    online["churn_probability"] = model.predict_proba(matrix(online))[:, 1].round(3)
    print(online[["customer_id", *model_features, "churn_probability"]].to_string(index=False))
    fs.close()
    print(f"repository: {repo}")


if __name__ == "__main__":
    main()
