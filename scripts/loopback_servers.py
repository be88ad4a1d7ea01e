"""Starts a PostgreSQL server and a six-node Redis Cluster on loopback (the same code the tests
use: tests/e2e/pg_server.py, tests/e2e/redis_cluster.py), prints

    registry: postgresql://...
    online_store: redis://...

(the featherstone.yaml lines that use them), then keeps them up until its standard input
closes or it is signalled, and stops them. Used by `scripts/quickstart --scaled`."""
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "e2e"))

import pg_server  # noqa: E402
import redis_cluster  # noqa: E402


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with pg_server.running_server() as pg, redis_cluster.running_cluster() as cluster:
        print(f"registry: {pg.dsn()}", flush=True)
        print(f"online_store: {cluster.spec()}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
