"""A real PostgreSQL server on loopback for the tests (tests/e2e/conftest.py, fixture
`postgres`) and benchmarks (bench/postgres_ingest.py): Debian's server binaries, a throwaway
cluster made by initdb in a temporary folder, started on a free port without fsync, stopped
(and its folder removed) on exit. TCP logins need the password; the socket in the folder
trusts the user.

Standard library only; errors are ServerError. Run as root, initdb and the server run as the
`postgres` user (PostgreSQL refuses root). Needs Debian's postgresql package (scripts/setup).
"""
import contextlib
import glob
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

USER = "fst"
DATABASE = "postgres"


class ServerError(Exception):
    pass


def bin_dir():
    """The newest /usr/lib/postgresql/N/bin holding initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return pathlib.Path(found[-1]).parent if found else None


def missing_tools():
    """What the server needs that is not installed."""
    missing = [] if bin_dir() else ["postgresql (initdb)"]
    if shutil.which("psql") is None:
        missing.append("psql")
    return missing


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, port, password, folder):
        self.host = "127.0.0.1"
        self.port = port
        self.user = USER
        self.password = password
        self.database = DATABASE
        self.folder = pathlib.Path(folder)

    def dsn(self, password=None):
        """A libpq URI with `password` (default: the right one)."""
        pw = self.password if password is None else password
        return f"postgresql://{self.user}:{pw}@{self.host}:{self.port}/{self.database}"

    def psql(self, sql, timeout=600):
        """Runs `sql` (one or more statements) with psql; returns its stdout (unaligned, no
        headers). Raises ServerError with psql's message on failure."""
        env = dict(os.environ, PGPASSWORD=self.password)
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                            self.host, "-p", str(self.port), "-U", self.user, "-d",
                            self.database, "-c", sql], capture_output=True, text=True,
                           env=env, timeout=timeout)
        if p.returncode != 0:
            raise ServerError(f"psql failed: {p.stderr}")
        return p.stdout

    def psql_args(self):
        """psql's connection arguments and environment, for callers running it themselves."""
        return (["-X", "-h", self.host, "-p", str(self.port), "-U", self.user, "-d",
                 self.database], dict(os.environ, PGPASSWORD=self.password))


@contextlib.contextmanager
def running_server(password="fst-test-secret"):
    """Creates a cluster in a temporary folder and starts it on a free loopback port; yields a
    PgServer and stops the server (and removes the folder) on exit."""
    binaries = bin_dir()
    if binaries is None:
        raise ServerError("no PostgreSQL server binaries under /usr/lib/postgresql")
    # The folder must be reachable by the server's user: not under pytest's 0700 folders.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fst-pg-"))
    as_root = os.geteuid() == 0
    # The server's processes run as `postgres` themselves (no runuser in between), so that
    # signals reach the server.
    user = {"user": "postgres", "group": "postgres", "extra_groups": []} if as_root else {}
    server = None
    log = None
    try:
        data = folder / "data"
        pwfile = folder / "pw"
        pwfile.write_text(password + "\n")
        if as_root:
            shutil.chown(folder, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        p = subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", USER,
                                     "--auth-local=trust", "--auth-host=scram-sha-256",
                                     f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync",
                                     "--no-instructions"],
                           capture_output=True, text=True, timeout=120, cwd=folder, **user)
        if p.returncode != 0:
            raise ServerError(f"initdb failed: {p.stderr[-3000:]}")
        port = free_port()
        log = open(folder / "server.log", "w")
        server = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k",
                      str(folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                      "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder, **user)
        pg = PgServer(port, password, folder)
        deadline = time.monotonic() + 60
        while True:
            try:
                pg.psql("SELECT 1", timeout=10)
                break
            except (ServerError, subprocess.TimeoutExpired):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise ServerError("the PostgreSQL server did not start; see "
                                      f"{folder / 'server.log'}:\n"
                                      f"{(folder / 'server.log').read_text()[-3000:]}")
                time.sleep(0.1)
        yield pg
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if log is not None:
            log.close()
        shutil.rmtree(folder, ignore_errors=True)
