"""Benchmark: detection delay of a real ``breakglass serve``, and its poll volume.

The tenant simulator (``breakglass simulate``) and ``breakglass serve`` run as their own
processes; a webhook receiver runs in this one. After serve's start-up poll and check, an
emergency account signs in at a random moment of the poll cycle (``POST /_sim/events``:
the sign-in is visible in Graph at once), ``--events`` times. For each sign-in the bench
times, from the moment it became visible:

* review opened: its row in ``signins`` carries a ``review_id`` (read from serve's SQLite
  database every 20 ms);
* notification delivered: the webhook receiver got the POST naming the sign-in.

Target: notification delivered within the poll interval + 2 s (``watch.poll_seconds``).
Poll volume: Graph requests per poll (the simulator's counter between two polls of a quiet
log) and the retained sign-ins of other users the tenant holds. Prints figures; asserts
nothing that could flake.

Run: ``.venv/bin/python bench/bench_detection.py [--poll-seconds 10] [--events 8]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

#: Other users' sign-ins in the retained log (the poll filters them out server-side).
BACKGROUND_SIGNINS = 5_000


class Hooks:
    """The webhook receiver: when each POST arrived, and its body."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[float, bytes]] = []

    def start(self) -> int:
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with hooks.lock:
                    hooks.received.append((time.time(), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return int(server.server_address[1])

    def arrival(self, needle: str) -> float | None:
        with self.lock:
            return next((at for at, body in self.received if needle.encode() in body), None)


def _scenario(path: Path, now: datetime) -> None:
    from bench_memory import _other_signin

    from tests.support.tenant import healthy_tenant

    data = healthy_tenant()
    data["signIns"] = [
        _other_signin(now - timedelta(minutes=1 + i % 40_000)) for i in range(BACKGROUND_SIGNINS)
    ]
    path.write_text(json.dumps(data))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _review_id(db: Path, signin_id: str) -> int | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT review_id FROM signins WHERE signin_id = ?", (signin_id,)
            ).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _metric(text: str, name: str, label: str = "") -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and label in line
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--poll-seconds", type=int, default=10, help="watch.poll_seconds")
    parser.add_argument("--events", type=int, default=8, help="sign-ins to time")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    poll = args.poll_seconds
    rng = random.Random(args.seed)

    from bench_memory import _start_simulator, _viewer_token

    from breakglass import audit
    from breakglass.config import load_settings
    from breakglass.store import Store
    from tests.support.notify import HMAC_SECRET
    from tests.support.sim import merge_toml
    from tests.support.tenant import BG1

    tmp = Path(tempfile.mkdtemp(prefix="bench-detection-"))
    _scenario(tmp / "scenario.json", datetime.now(UTC).replace(microsecond=0))
    config = tmp / "bg.toml"
    simulator, control = _start_simulator(tmp / "scenario.json", config)
    hooks = Hooks()
    hook_port = hooks.start()
    port = _free_port()
    merge_toml(
        config,
        {
            "store": {"url": "sqlite:///serve.db"},
            "watch": {"poll_seconds": poll},
            "service": {"port": port, "check_minutes": 600, "checkpoint_minutes": 600},
            "notifications": {
                "channels": [
                    {
                        "name": "soc",
                        "kind": "webhook",
                        "url": f"http://127.0.0.1:{hook_port}/hooks/soc",
                        "hmac_secret": HMAC_SECRET,
                    }
                ]
            },
            "audit": {"checkpoint_dir": "checkpoints", "checkpoint_key_path": "ck.pem"},
        },
    )
    config.chmod(0o600)
    settings = load_settings(config)
    audit.init_checkpoint_key(settings)
    with Store.open(settings.store_url, require_migrated=False) as store:
        store.upgrade()
    db = tmp / "serve.db"
    token = _viewer_token(settings, datetime.now(UTC))
    exe = Path(sys.executable).parent / "breakglass"
    log = tmp / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(exe), "serve", "--config", str(config)], stdout=handle, stderr=subprocess.STDOUT
        )
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    sim = httpx.Client(base_url=control, timeout=30)
    print(
        f"`breakglass serve` (pid {process.pid}), watch.poll_seconds = {poll}; "
        f"{BACKGROUND_SIGNINS:,} other users' sign-ins retained; a webhook channel",
        flush=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                answer = api.get("/readyz")
                if answer.status_code == 200 and answer.json().get("status") == "ready":
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"serve was not ready within 120 s:\n{log.read_text()[-3000:]}")

        # Poll volume: requests per poll on a quiet log, from the simulator's counter, once
        # the start-up check has run (its reads would count otherwise).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            metrics = api.get("/metrics").text
            if _metric(metrics, "breakglass_job_runs_total{", 'job="check"') >= 1:
                break
            time.sleep(0.5)
        metrics = api.get("/metrics").text
        polls0 = _metric(metrics, "breakglass_job_runs_total{", 'job="poll"')
        stats0 = sim.get("/stats").json()
        time.sleep(3 * poll + 1)
        metrics = api.get("/metrics").text
        polls1 = _metric(metrics, "breakglass_job_runs_total{", 'job="poll"')
        stats1 = sim.get("/stats").json()
        served = stats1["requests"] - stats0["requests"]
        routes = {
            route: count - stats0["by_route"].get(route, 0)
            for route, count in stats1["by_route"].items()
            if count > stats0["by_route"].get(route, 0)
        }
        polls = max(polls1 - polls0, 1)
        sign_in_reads = sum(c for r, c in routes.items() if "auditLogs" in r)
        print(
            f"poll volume: {served} HTTP requests in {polls:.0f} polls of a quiet log, "
            f"{sign_in_reads / polls:.1f} sign-in log reads per poll; by route: "
            + ", ".join(f"{r} {c}" for r, c in sorted(routes.items())),
            flush=True,
        )

        reviews: list[float] = []
        notices: list[float] = []
        for n in range(args.events):
            time.sleep(rng.uniform(0, poll))  # a random moment of the poll cycle
            answer = sim.post("/events", json={"type": "signin", "user": BG1, "success": True})
            visible = time.time()
            ident = answer.json()["added"][0]
            review_at = notice_at = None
            limit = visible + poll + 60
            while time.time() < limit and (review_at is None or notice_at is None):
                if review_at is None and _review_id(db, ident) is not None:
                    review_at = time.time()
                if notice_at is None:
                    notice_at = hooks.arrival(ident)
                time.sleep(0.02)
            if review_at is None or notice_at is None:
                print(f"  sign-in {n + 1}: not detected within {poll + 60} s", flush=True)
                continue
            reviews.append(review_at - visible)
            notices.append(notice_at - visible)
            print(
                f"  sign-in {n + 1}: review opened after {review_at - visible:5.2f} s, "
                f"notification delivered after {notice_at - visible:5.2f} s",
                flush=True,
            )
    finally:
        api.close()
        sim.close()
        process.terminate()
        process.wait(timeout=60)
        simulator.terminate()
        simulator.wait(timeout=30)
    if notices:
        target = poll + 2
        worst = max(notices)
        print(
            f"detection delay over {len(notices)} sign-ins (poll interval {poll} s): "
            f"review opened median {statistics.median(reviews):.2f} s, max {max(reviews):.2f} s; "
            f"notification delivered median {statistics.median(notices):.2f} s, "
            f"max {worst:.2f} s (target < {target} s: {'met' if worst < target else 'NOT met'})"
        )
    print(f"serve exit {process.returncode}")
    if args.keep:
        print(f"kept {tmp} (serve.log, serve.db)")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
