import os
import pathlib
import shutil
import socket
import subprocess
import time

import pytest

import fst


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

KAFKA_VERSION = "4.4.0"
KAFKA_LIB = pathlib.Path(os.environ.get("FST_KAFKA_LIB",
                                        pathlib.Path.home() / ".cache/featherstone/kafka-lib"))
KAFKA_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>featherstone.test</groupId>
  <artifactId>kafka-lib</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kafka_jars():
    """The broker's jars, fetched once from Maven Central into KAFKA_LIB/lib."""
    jars = KAFKA_LIB / "lib"
    if (jars / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        return jars
    KAFKA_LIB.mkdir(parents=True, exist_ok=True)
    (KAFKA_LIB / "pom.xml").write_text(KAFKA_POM)
    p = subprocess.run(["mvn", "-q", "-B", "dependency:copy-dependencies",
                        "-DoutputDirectory=lib"], cwd=KAFKA_LIB, capture_output=True, text=True,
                       timeout=900)
    if p.returncode != 0 or not (jars / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        pytest.fail(f"fetching the Kafka jars with Maven failed:\n{p.stdout[-3000:]}"
                    f"\n{p.stderr[-3000:]}", pytrace=False)
    return jars


class KafkaBroker:
    def __init__(self, bootstrap, classpath):
        self.bootstrap = bootstrap
        self.classpath = classpath

    def produce(self, topic, lines, partition=None):
        """Produces one message per line with kcat (to `partition`, or spread by librdkafka)."""
        cmd = ["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-z", "none"]
        if partition is not None:
            cmd += ["-p", str(partition)]
        p = subprocess.run(cmd, input="".join(l + "\n" for l in lines), capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, f"kcat failed: {p.stderr}"


@pytest.fixture(scope="session")
def kafka(tmp_path_factory):
    """One Kafka broker for the session, on free loopback ports; stopped at the end."""
    missing = [tool for tool in ("java", "mvn", "kcat") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the Kafka tests need {', '.join(missing)} (scripts/setup installs them)")
    jars = _kafka_jars()
    work = tmp_path_factory.mktemp("kafka")
    port, cport = _free_port(), _free_port()
    props = work / "server.properties"
    props.write_text("\n".join([
        "process.roles=broker,controller", "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{cport}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={work / 'logs'}", "num.partitions=4",
        "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0", "auto.create.topics.enable=true", ""]))
    cp = f"{jars}/*"
    uuid = subprocess.run(["java", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
                          capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    subprocess.run(["java", "-cp", cp, "kafka.tools.StorageTool", "format", "-t", uuid, "-c",
                    str(props)], capture_output=True, text=True, timeout=120, check=True)
    log = open(work / "broker.log", "w")
    broker = subprocess.Popen(["java", "-Xms256m", "-Xmx512m", "-cp", cp, "kafka.Kafka",
                               str(props)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if broker.poll() is not None or time.monotonic() > deadline:
                broker.kill()
                pytest.fail(f"the Kafka broker did not start; see {work / 'broker.log'}",
                            pytrace=False)
            time.sleep(0.2)
    yield KafkaBroker(f"127.0.0.1:{port}", cp)
    broker.terminate()
    try:
        broker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        broker.kill()
        broker.wait()
    log.close()
