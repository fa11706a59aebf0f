"""A throwaway PostgreSQL server from Debian's binaries, for the log tests and the log bench.

    with PostgresServer.start() as server:
        url = server.create_database("t1")      # postgresql+psycopg://postgres@127.0.0.1:…/t1

The cluster lives in a fresh temp directory (socket included) on a free TCP port and is removed
on stop. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
that Debian's package creates, with the directory handed to it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

BIN_GLOB = "/usr/lib/postgresql/*/bin"
# for tests: nothing in them survives a server crash, so skip the server's own fsyncs
FAST_SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")


def find_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin directory with initdb and pg_ctl, if installed."""
    candidates = [Path(p) for p in glob.glob(BIN_GLOB)
                  if (Path(p) / "initdb").exists() and (Path(p) / "pg_ctl").exists()]
    return max(candidates, key=lambda p: int(p.parent.name.split(".")[0]), default=None)


class PostgresServer:
    def __init__(self, binaries: Path, root: Path, port: int, settings: str) -> None:
        self.binaries = binaries
        self.root = root
        self.port = port
        self._settings = settings

    @classmethod
    @contextmanager
    def start(cls, *, fast: bool = False) -> Iterator[PostgresServer]:
        binaries = find_binaries()
        if binaries is None:
            raise FileNotFoundError(f"no PostgreSQL binaries under {BIN_GLOB}")
        root = Path(tempfile.mkdtemp(prefix="replyguard-pg-"))
        server = cls(binaries, root, _free_port(), FAST_SETTINGS if fast else "")
        try:
            server._init()
            server.resume()
            yield server
        finally:
            server._stop()
            shutil.rmtree(root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres", autocommit=True)

    def resume(self) -> None:
        """Start the server (again, after `pause`) on the same port and data."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   f"-c max_connections=200 {self._settings}")
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
                  "-w", "-o", options, "start")

    def checkpoint(self) -> None:
        """Make every commit so far survive `pause` (with the fast settings, commits return
        before their WAL is written, so a crash-stop may lose the last ones)."""
        with self._admin() as connection:
            connection.execute("CHECKPOINT")

    def pause(self) -> None:
        """Stop the server as a crash would (an outage, for the tests)."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")

    def _init(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")

    def _stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self.pause()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.binaries / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                check=False)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({result.returncode}): "
                               f"{result.stderr.strip()[-2000:]}\n{tail}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
