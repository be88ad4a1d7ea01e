import os

import pytest

import fst
import kafka_broker


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
