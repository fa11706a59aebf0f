"""A throwaway redis-server (Debian's binary) on a free port, that can be killed and restarted on
the same port: for the shared-state tests, the fault tests and the fault benchmarks.

    with RedisServer.start() as server:          # server.url: redis://127.0.0.1:…/0
        server.kill()                              # SIGKILL: what a crash or an OOM kill does
        server.resume()                            # same port; same data only if persistent

`persistent=False` runs it as the test suite's default does (`--save '' --appendonly no`: a
restart starts empty); `persistent=True` as the multi-node mode needs it in production
(`--appendonly yes --appendfsync always` here, so a SIGKILL loses nothing the tests count).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RedisUnavailableError(RuntimeError):
    """redis-server is not installed, or did not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, binary: str, directory: Path, port: int, persistent: bool) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.persistent = persistent
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextmanager
    def start(cls, *, persistent: bool = False,
              directory: Path | None = None) -> Iterator[RedisServer]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailableError("redis-server not found (apt-get install redis-server)")
        owned = directory is None
        root = Path(tempfile.mkdtemp(prefix="replyguard-redis-")) if directory is None \
            else directory
        server = cls(binary, root, free_port(), persistent)
        try:
            server.resume()
            yield server
        finally:
            server.stop()
            if owned:
                shutil.rmtree(root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def resume(self, timeout_s: float = 10.0) -> None:
        """Start the server (again) on the same port and directory."""
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent \
            else ["--appendonly", "no"]
        self._process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *persistence, "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self._process.kill()
                    raise RedisUnavailableError(
                        f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL, as a crash: no save on the way out."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the server keeps its sockets open and answers nothing, like a host that
        hangs or a network that drops packets without a reset."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()  # a stopped process would not act on SIGTERM
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
