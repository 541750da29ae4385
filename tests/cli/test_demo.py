"""`breakglass demo` serves the whole product: the console URL and the demo users on
stderr, a service that is ready, and a live emergency sign-in whose review the API shows
to a token made with the command the demo prints."""

from __future__ import annotations

import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

EXE = Path(sys.executable).parent / "breakglass"
#: Long enough for start-up, the first poll and check, and the live review (demo polls
#: every 10 s); the test stops the demo itself as soon as it has seen what it needs.
STOP_AFTER = 150


@dataclass
class Demo:
    process: subprocess.Popen[str]
    workdir: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        """The first stderr line (seen so far or arriving) that matches ``pattern``."""
        regex = re.compile(pattern)
        for line in self.seen:
            found = regex.search(line)
            if found:
                return found
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            found = regex.search(line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}; stderr so far:\n" + "".join(self.seen))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [
            str(EXE),
            "demo",
            "--workdir",
            str(workdir),
            "--port",
            "0",
            "--stop-after",
            str(STOP_AFTER),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    handle = Demo(process, workdir)
    assert process.stderr is not None
    stderr = process.stderr

    def pump() -> None:
        for line in stderr:
            handle.lines.put(line)

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    try:
        yield handle
    finally:
        process.terminate()  # SIGTERM: the service stops gracefully
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        pumping.join(timeout=10)
        stderr.close()


def test_demo_prints_the_console_and_a_user_of_every_role(demo: Demo) -> None:
    console = demo.wait_for(r"^Console: (http://127\.0\.0\.1:\d+)/\s*$").group(1)
    assert httpx.get(console + "/healthz", timeout=10).status_code == 200
    roles = {demo.wait_for(rf"^  \S.*\s{role}\s").group(0) for role in _ROLES}
    assert len(roles) == len(_ROLES)
    demo.wait_for(r"Notifications: none configured, on purpose")
    assert (demo.workdir / "breakglass.toml").stat().st_mode & 0o077 == 0


_ROLES = ("viewer", "operator", "approver", "admin")


def test_demo_is_ready_and_its_live_review_shows_in_the_api(demo: Demo) -> None:
    console = demo.wait_for(r"^Console: (http://127\.0\.0\.1:\d+)/").group(1)
    review_id = demo.wait_for(r"review #(\d+) usage open: .*← the live sign-in").group(1)
    deadline = time.monotonic() + 60
    ready = httpx.get(console + "/readyz", timeout=10)
    while ready.status_code != 200 and time.monotonic() < deadline:
        time.sleep(1)
        ready = httpx.get(console + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["leader"]["leader"] is True

    # The token command the demo prints works while it serves (SQLite, one serving process).
    hint = demo.wait_for(r"TOKEN=\$\((\S*breakglass tokens create .*) \| tail -n 1\)").group(1)
    argv = shlex.split(hint)
    if argv[0] == "breakglass":  # found on PATH
        argv[0] = str(EXE)
    made = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    api = httpx.Client(
        base_url=console + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    with api:
        assert httpx.get(console + "/api/v1/reviews", timeout=10).status_code == 401
        review = api.get(f"/reviews/{review_id}")
        assert review.status_code == 200, review.text
        assert review.json()["state"] == "open"
        listed = api.get("/reviews", params={"limit": 200})
        assert listed.status_code == 200, listed.text
        assert int(review_id) in [r["id"] for r in listed.json()["items"]]
        refused = api.post(f"/reviews/{review_id}/approve")
        assert refused.status_code == 403, refused.text  # a viewer reads, never approves
        # The service checks after its first poll: no "watcher blind" finding of its own.
        monitor = api.get("/findings", params={"check": "BG-042"})
        assert monitor.status_code == 200, monitor.text
        assert [f["status"] for f in monitor.json()["items"]] == ["pass"], monitor.text
