"""A real Kafka broker on loopback for the streaming tests (tests/e2e/conftest.py, fixture
`kafka`) and benchmarks (bench/stream_freshness.py): Apache Kafka 4.x jars fetched once from
Maven Central, a single-node KRaft broker formatted and started in a work folder.

Standard library only; errors are BrokerError (the callers turn them into test failures or
messages). Needs java, mvn (the first time) and kcat on PATH.
"""
import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import time

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

# Creates a topic with a given number of partitions through the Admin client of kafka-clients
# (the broker's jars hold no command-line tools); run as a single-file Java program.
CREATE_TOPIC_JAVA = """\
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

public class CreateTopic {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(props)) {
      admin.createTopics(List.of(new NewTopic(args[1], Integer.parseInt(args[2]), (short) 1)))
          .all().get();
    }
  }
}
"""


class BrokerError(Exception):
    pass


def missing_tools():
    """The tools the broker needs that are not on PATH."""
    return [tool for tool in ("java", "mvn", "kcat") if shutil.which(tool) is None]


def free_ports(n):
    """`n` distinct free loopback ports (all held until chosen, so none repeats)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def kafka_jars():
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
        raise BrokerError(f"fetching the Kafka jars with Maven failed:\n{p.stdout[-3000:]}"
                          f"\n{p.stderr[-3000:]}")
    return jars


class KafkaBroker:
    def __init__(self, bootstrap, classpath, work):
        self.bootstrap = bootstrap
        self.classpath = classpath
        self.work = pathlib.Path(work)

    def produce(self, topic, lines, partition=None):
        """Produces one message per line with kcat (to `partition`, or spread by librdkafka)."""
        cmd = ["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-z", "none"]
        if partition is not None:
            cmd += ["-p", str(partition)]
        p = subprocess.run(cmd, input="".join(l + "\n" for l in lines), capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise BrokerError(f"kcat failed: {p.stderr}")

    def create_topic(self, topic, partitions):
        """Creates `topic` with `partitions` partitions (a produced-to topic gets the broker's
        num.partitions, 4)."""
        source = self.work / "CreateTopic.java"
        if not source.exists():
            source.write_text(CREATE_TOPIC_JAVA)
        p = subprocess.run(["java", "-cp", self.classpath, str(source), self.bootstrap, topic,
                            str(partitions)], capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise BrokerError(f"creating topic {topic}: {p.stderr[-3000:]}")


@contextlib.contextmanager
def running_broker(work, heap="512m", port=None):
    """Starts a single-node KRaft broker on loopback (on `port`, or a free one) with its logs
    in `work`; yields a KafkaBroker and stops the broker on exit. A `work` that held a broker
    before restarts that broker: its settings (ports included) and its data are kept."""
    jars = kafka_jars()
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    props = work / "server.properties"
    cp = f"{jars}/*"
    if (work / "logs" / "meta.properties").exists():
        kept = int(next(line for line in props.read_text().splitlines()
                        if line.startswith("listeners=")).split(",")[0].rsplit(":", 1)[1])
        if port is not None and port != kept:
            raise BrokerError(f"the broker in {work} listens on port {kept}, not {port}")
        port = kept
    else:
        port = format_broker(work, cp, port)
    log = open(work / "broker.log", "a")
    broker = subprocess.Popen(["java", "-Xms256m", f"-Xmx{heap}", "-cp", cp, "kafka.Kafka",
                               str(props)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if broker.poll() is not None or time.monotonic() > deadline:
                    raise BrokerError(f"the Kafka broker did not start; see {work / 'broker.log'}")
                time.sleep(0.2)
        yield KafkaBroker(f"127.0.0.1:{port}", cp, work)
    finally:
        broker.terminate()
        try:
            broker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()
        log.close()


def format_broker(work, cp, port=None):
    """Writes the settings of a new broker into `work` (on `port`, or a free one) and formats
    its log folder; returns the port."""
    free, cport = free_ports(2)
    port = port or free
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
    uuid = subprocess.run(["java", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
                          capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    subprocess.run(["java", "-cp", cp, "kafka.tools.StorageTool", "format", "-t", uuid, "-c",
                    str(props)], capture_output=True, text=True, timeout=120, check=True)
    return port


def main():
    """scripts/kafka: a broker for trying `featherstone stream` by hand, until Ctrl-C."""
    import argparse
    import tempfile
    parser = argparse.ArgumentParser(
        prog="scripts/kafka",
        description="Starts a single-node Kafka broker on 127.0.0.1 (the jars are fetched once "
                    "by Maven into ~/.cache/featherstone/kafka-lib) and keeps it running until "
                    "Ctrl-C. Produce with kcat: kcat -P -b 127.0.0.1:9092 -t orders < events.jsonl")
    parser.add_argument("--port", type=int, default=9092, help="broker port (default 9092)")
    parser.add_argument("--dir", help="folder for its data and log (default: a temporary one, "
                                      "removed at exit)")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        raise SystemExit(f"scripts/kafka: needs {', '.join(missing)} on PATH (scripts/setup "
                         "installs them)")
    try:
        socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
        raise SystemExit(f"scripts/kafka: port {args.port} is taken; choose another with --port")
    except OSError:
        pass
    with contextlib.ExitStack() as stack:
        work = args.dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="fst-kafka-"))
        print(f"starting a Kafka {KAFKA_VERSION} broker (first run: fetching its jars)...",
              flush=True)
        try:
            broker = stack.enter_context(running_broker(work, port=args.port))
        except BrokerError as e:
            raise SystemExit(f"scripts/kafka: {e}")
        print(f"Kafka broker on {broker.bootstrap} (log: {pathlib.Path(work) / 'broker.log'}); "
              "Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping the broker", flush=True)


if __name__ == "__main__":
    main()
