"""``breakglass serve`` as a real process: start it, ask it, signal it, read its stderr.

``start_serve`` runs the installed ``breakglass`` entry point beside the interpreter;
``Served`` is the handle (``readyz``, ``leads``, ``stop``). The fixtures that use them live
in tests/service/conftest.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.notify import free_port
from tests.support.waiting import wait_for

__all__ = ["Served", "start_serve"]


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


def start_serve(
    config: Path,
    log: Path,
    *,
    port: int | None = None,
    wait: bool = True,
    log_level: str = "info",
    append: bool = False,
) -> Served:
    """``breakglass --log-level LEVEL serve --config CONFIG`` on a free port (or ``port``);
    with ``wait``, once it listens. Its stderr goes to ``log`` (appended with ``append``,
    e.g. a replica restarted on the same port and log)."""
    port = port or free_port()
    exe = Path(sys.executable).parent / "breakglass"
    argv = ["--log-level", log_level, "serve", "--config", str(config), "--port", str(port)]
    with log.open("ab" if append else "wb") as stderr:
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
