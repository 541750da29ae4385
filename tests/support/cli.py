"""Run the real ``breakglass`` entry point (``breakglass.cli.main``) for CLI tests.

``run_main`` calls it in-process the way the console script does (``sys.argv``, ``SystemExit``)
and returns what a person would see: the exit code, stdout, stderr and the wall time. An
exception escaping ``main`` is returned as such, so a test can say "no traceback".
"""

from __future__ import annotations

import io
import socket
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CliResult", "closed_port", "run_main", "run_process", "toml_with"]


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str
    seconds: float
    escaped: BaseException | None = None

    @property
    def error_lines(self) -> list[str]:
        """The stderr lines that are not structlog log lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_main(*argv: str) -> CliResult:
    """``breakglass ARGV…`` through ``breakglass.cli.main``, in this process."""
    from breakglass.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["breakglass", *argv]
    escaped: BaseException | None = None
    code = 0
    start = time.perf_counter()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        escaped = exc
        code = -1
    finally:
        sys.argv = saved
    return CliResult(code, out.getvalue(), err.getvalue(), time.perf_counter() - start, escaped)


def run_process(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> CliResult:
    """``breakglass ARGV…`` as a separate process (the installed console script)."""
    import os
    import subprocess

    exe = Path(sys.executable).parent / "breakglass"
    start = time.perf_counter()
    done = subprocess.run(
        [str(exe), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)


def closed_port() -> int:
    """A local TCP port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def toml_with(path: Path, **sections: Any) -> Path:
    """Rewrite the config at ``path`` with ``sections`` merged in (mode 0600)."""
    from tests.support.sim import merge_toml

    merge_toml(path, sections)
    return path
