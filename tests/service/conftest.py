"""``breakglass serve`` as a real process: start it, ask it, signal it, read its stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.notify import Receiver, free_port, serve_receiver
from tests.support.waiting import wait_for


@dataclass
class Served:
    """One ``breakglass serve`` process on 127.0.0.1:``port``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response | None:
        """The answer, or None while nothing listens."""
        try:
            return httpx.get(self.url + path, timeout=5)
        except httpx.TransportError:
            return None

    def readyz(self) -> dict[str, Any] | None:
        answer = self.get("/readyz")
        return answer.json() if answer is not None else None

    def leads(self) -> bool:
        body = self.readyz()
        return bool(body and body["leader"] and body["leader"]["leader"])

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_listening(self, timeout: float = 30) -> None:
        try:
            wait_for(
                lambda: self.process.poll() is not None or self.get("/healthz") is not None,
                timeout=timeout,
                what=f"serve to listen on {self.port}",
            )
        except AssertionError:
            self.process.kill()
            raise
        assert self.process.poll() is None, self.stderr()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        """Send ``sig`` and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_serve(config: Path, log: Path, *, port: int | None = None, wait: bool = True) -> Served:
    """``breakglass --log-level info serve --config CONFIG`` on a free port; with ``wait``,
    once it listens."""
    port = port or free_port()
    exe = Path(sys.executable).parent / "breakglass"
    argv = ["--log-level", "info", "serve", "--config", str(config), "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(exe), *argv, "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "COLUMNS": "200"},
        )
    served = Served(process, port, log)
    if wait:
        served.wait_listening()
    return served


@pytest.fixture
def serving() -> Iterator[list[Served]]:
    """Processes a test started; any still running at the end are killed."""
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""
    yield from serve_receiver(None)
