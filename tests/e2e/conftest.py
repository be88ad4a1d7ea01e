import os

import pytest

import fst
import kafka_broker
import pg_server
import redis_cluster as redis_cluster_mod


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


# --- A real Kafka broker (single-node KRaft on loopback) for the streaming tests -------------


@pytest.fixture(scope="session")
def kafka(tmp_path_factory):
    """One Kafka broker for the session (kafka_broker.py), on free loopback ports; stopped at
    the end."""
    missing = kafka_broker.missing_tools()
    if missing:
        pytest.skip(f"the Kafka tests need {', '.join(missing)} (scripts/setup installs them)")
    try:
        with kafka_broker.running_broker(tmp_path_factory.mktemp("kafka")) as broker:
            yield broker
    except kafka_broker.BrokerError as e:
        pytest.fail(str(e), pytrace=False)


# --- A real PostgreSQL server (a throwaway cluster on loopback) for the database sources ------


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session (pg_server.py), on a free loopback port with a
    password login; stopped at the end."""
    missing = pg_server.missing_tools()
    if missing:
        pytest.skip(f"the PostgreSQL tests need {', '.join(missing)} (scripts/setup installs them)")
    try:
        with pg_server.running_server() as server:
            yield server
    except pg_server.ServerError as e:
        pytest.fail(str(e), pytrace=False)


# --- A real Redis Cluster (six nodes on loopback) for the online store on Redis ---------------


@pytest.fixture(scope="session")
def redis_cluster():
    """One six-node Redis Cluster for the session (redis_cluster.py); stopped at the end."""
    missing = redis_cluster_mod.missing_tools()
    if missing:
        pytest.skip(f"the Redis tests need {', '.join(missing)} (scripts/setup installs them)")
    try:
        with redis_cluster_mod.running_cluster() as cluster:
            yield cluster
    except redis_cluster_mod.ClusterError as e:
        pytest.fail(str(e), pytrace=False)
