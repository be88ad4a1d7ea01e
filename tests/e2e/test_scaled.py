"""Stateless workers (docs/scaling.md): two `serve` processes in two folders, as on two
machines, sharing one PostgreSQL registry and one Redis Cluster online store (the session's
real servers), give the same answers, and an `apply` through either folder is served by both
within the servers' refresh interval (1 s), without a restart."""
import time

import fst
from test_registry_postgres import END, new_database, orders
from test_serve import Server

ENTITIES = [1, 2, 3, 4, 5, 6, 7, 99]
SERVICE = "  - name: late_model\n    features: [customer_features:amount]\n"


def lookup(worker, **body):
    body.update(entities={"customer_id": ENTITIES}, at=fst.iso(END))
    status, out = worker.post("/get-online-features", body)
    return status, out


def test_two_serve_workers_share_one_registry_and_one_online_store(tmp_path, postgres,
                                                                    redis_cluster):
    redis_cluster.flush()
    yaml = (fst.SHOP_YAML.replace("registry: sqlite", f"registry: {new_database(postgres)}")
            .replace("online_store: rocksdb", f"online_store: {redis_cluster.spec()}"))
    first = fst.make_repo(tmp_path / "first", yaml)
    second = fst.make_repo(tmp_path / "second", yaml, apply=False)  # applied through `first`
    fst.ingest(first, "orders", fst.write_csv(tmp_path / "orders.csv", fst.ORDERS_HEADER,
                                              orders(0) + orders(6)))
    fst.run(["materialize", "--end", fst.iso(END)], first)
    workers = [Server(first), Server(second)]
    try:
        answers = [lookup(w, feature_service="churn_model") for w in workers]
        assert answers[0][0] == 200, answers[0]
        assert answers[0][1]["results"] == answers[1][1]["results"]
        values = answers[0][1]["results"][1]["values"]  # [0] holds the keys
        assert sum(v is not None for v in values) == 7, values  # customers 1-7, not 99

        for worker in workers:
            status, out = lookup(worker, feature_service="late_model")
            assert status == 404 and "late_model" in out["error"], out
        (second / "featherstone.yaml").write_text(yaml + SERVICE)
        fst.run(["apply"], second)
        applied = time.monotonic()
        served = []
        for worker in workers:
            while True:
                status, out = lookup(worker, feature_service="late_model")
                if status == 200 or time.monotonic() - applied > 5:
                    break
                time.sleep(0.05)
            assert status == 200, out
            served.append(out["results"])
        assert time.monotonic() - applied < 3
        assert served[0] == served[1]
        status, by_features = lookup(workers[0], features=["customer_features:amount"])
        assert served[0] == by_features["results"]
    finally:
        for worker in workers:
            worker.stop()
