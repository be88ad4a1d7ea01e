"""A real Redis Cluster on loopback for the tests (tests/e2e/conftest.py, fixture
`redis_cluster`) and benchmarks (bench/online_redis.py): six Debian redis-server nodes (three
masters with a replica each) on free ports, their files in a temporary folder, created with
`redis-cli --cluster create`; killed (and the folder removed) on exit.

Standard library only; errors are ClusterError. Needs Debian's redis-server (scripts/setup).
"""
import contextlib
import pathlib
import random
import shutil
import socket
import subprocess
import tempfile
import time


class ClusterError(Exception):
    pass


def missing_tools():
    """What the cluster needs that is not installed."""
    return [t for t in ("redis-server", "redis-cli") if shutil.which(t) is None]


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_ports(n):
    """n ports whose cluster bus port (port + 10000) is free too."""
    ports = []
    while len(ports) < n:
        p = random.randrange(20000, 40000)
        if all(abs(p - q) > 1 for q in ports) and _port_free(p) and _port_free(p + 10000):
            ports.append(p)
    return ports


class RedisCluster:
    def __init__(self, ports, folder):
        self.ports = ports
        self.folder = pathlib.Path(folder)

    def spec(self):
        """The `online_store:` value naming every node as a seed."""
        return "redis://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def cli(self, port, *args, timeout=10):
        """redis-cli's output of one command on the node at `port` ("" when it is down)."""
        p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                           capture_output=True, text=True, timeout=timeout)
        return p.stdout.strip() if p.returncode == 0 else ""

    def masters(self):
        return [p for p in self.ports if self.cli(p, "ROLE").startswith("master")]

    def flush(self):
        """Deletes every key."""
        for port in self.masters():
            if self.cli(port, "FLUSHALL") != "OK":
                raise ClusterError(f"FLUSHALL on {port} failed")

    def ready(self):
        """Why the cluster is not ready yet, or None: every node in cluster_state:ok and
        three masters with a connected replica each."""
        masters = 0
        for port in self.ports:
            if "cluster_state:ok" not in self.cli(port, "CLUSTER", "INFO"):
                return f"node {port} is not in cluster_state:ok"
            role = self.cli(port, "ROLE").split("\n")
            if role[0] == "master":
                masters += 1
                if len(role) < 3:
                    return f"master {port} has no replica yet"
        return None if masters == 3 else f"{masters} masters"


@contextlib.contextmanager
def running_cluster():
    """Starts the six nodes and creates the cluster; yields a RedisCluster, kills the nodes and
    removes their folder on exit."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fst-redis-"))
    ports = _free_ports(6)
    nodes = []
    try:
        for port in ports:
            d = folder / str(port)
            d.mkdir()
            nodes.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                 "--cluster-node-timeout", "2000", "--repl-diskless-sync-delay", "0",
                 "--cluster-replica-validity-factor", "0", "--save", "", "--appendonly", "no",
                 "--dir", str(d), "--logfile", str(d / "log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cluster = RedisCluster(ports, folder)
        deadline = time.monotonic() + 30
        while any(cluster.cli(p, "PING") != "PONG" for p in ports):
            if time.monotonic() > deadline:
                raise ClusterError(f"redis-server nodes did not start; see {folder}/*/log")
            time.sleep(0.05)
        p = subprocess.run(["redis-cli", "--cluster", "create",
                            *[f"127.0.0.1:{port}" for port in ports],
                            "--cluster-replicas", "1", "--cluster-yes"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise ClusterError(f"redis-cli --cluster create failed:\n{p.stdout[-3000:]}")
        why = cluster.ready()
        while why is not None:
            if time.monotonic() > deadline:
                raise ClusterError(f"the Redis cluster is not ready after 30 s: {why}")
            time.sleep(0.1)
            why = cluster.ready()
        yield cluster
    finally:
        for node in nodes:
            node.kill()
            node.wait()
        shutil.rmtree(folder, ignore_errors=True)
