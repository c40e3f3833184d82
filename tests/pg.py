"""A throwaway PostgreSQL + PostGIS cluster for the tests: Debian's server binaries, ``initdb`` into
a temporary folder (as the ``postgres`` user when the tests run as root), a free port on
127.0.0.1, stopped and removed afterwards. When the binaries or PostGIS are missing, the tests
that need it skip with one line saying so. Not a test module."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS = Path("/usr/share/postgresql/15/extension/postgis.control")


def missing() -> str:
    """Why a cluster cannot be started here ('' when it can)."""
    if not (BIN / "initdb").exists():
        return "PostGIS tests need Debian's postgresql (initdb at /usr/lib/postgresql/15/bin)"
    if not POSTGIS.exists():
        return "PostGIS tests need Debian's postgresql-15-postgis-3"
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        return "PostGIS tests need psycopg"
    return ""


needs_postgis = pytest.mark.skipif(bool(missing()), reason=missing() or "ok")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, folder: Path, port: int, run_as: str | None) -> None:
        self.folder, self.port, self.run_as = folder, port, run_as
        self.data = folder / "data"
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/directory"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(BIN / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "directory")

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


@contextlib.contextmanager
def cluster():
    """A running cluster with an empty ``directory`` database; yields it (``.dsn``, ``.stop()``, ``.start()``)."""
    folder = Path(tempfile.mkdtemp(prefix="directory-pg-"))
    run_as = None
    if os.geteuid() == 0:  # the server refuses to run as root
        run_as = "postgres"
        owner = pwd.getpwnam(run_as)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    c = Cluster(folder, _free_port(), run_as)
    try:
        c.init()
        yield c
    finally:
        c.stop()
        shutil.rmtree(folder, ignore_errors=True)
