"""Benchmark: the service's resident memory after an hour of simulated polling.

Part 1, the simulated hour. One process does what ``breakglass serve`` does for an hour:
it serves the app (uvicorn on ``create_app``, in a thread, with API requests arriving
every cycle) and runs the service's jobs against a simulated tenant: a sign-in poll every
60 s, the deadline sweep every 300 s, the outbox dispatch to a webhook every cycle, and
the checks and an audit checkpoint at start and after the hour. The clock is simulated
(``now=`` of each job advances 60 s per cycle), so the hour is 60 cycles and takes a minute
or two of wall time, and the poll's deep re-read of the whole retention window falls due
at the hour as it would in real time. Sign-ins trickle in meanwhile: other users' every
cycle, an emergency account's every 5th cycle (alerts, reviews, evidence reads).

Part 2, the real process. ``breakglass serve`` itself (APScheduler, leader, metrics,
uvicorn) runs as a subprocess with its intervals shortened (a poll every second, the
checks every 30 s) for ``--serve-seconds``, with the same trickle of sign-ins and API
requests, and its ``/proc/<pid>/status`` is read. Its clock is real, so it shows the
process's growth over many polls and checks, not an hour of deep re-reads.

The tenant simulator and the webhook receiver run in their own processes, so the figures
are the service's alone. VmRSS is resident memory, VmHWM its peak. Target: under 250 MB.
Prints figures; asserts nothing that could flake.

Run: ``.venv/bin/python bench/bench_memory.py [--minutes 60] [--serve-seconds 90]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CYCLE = timedelta(seconds=60)
#: Other users' sign-ins already in the retained log when the service starts.
BACKGROUND_SIGNINS = 20_000
OTHERS_PER_CYCLE = 30


def vm(field: str, pid: int | str = "self") -> float:
    """A ``/proc/<pid>/status`` figure in MB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _other_signin(at: datetime) -> dict[str, Any]:
    from tests.support.sim import sign_in

    user = f"44444444-dddd-4ddd-8ddd-{uuid.uuid4().int % 5000:012d}"
    return sign_in(user, _stamp(at))


def _scenario(path: Path, now: datetime) -> None:
    from tests.support.tenant import healthy_tenant

    data = healthy_tenant()
    data["signIns"] = [
        _other_signin(now - timedelta(minutes=1 + i % 40_000)) for i in range(BACKGROUND_SIGNINS)
    ]
    path.write_text(json.dumps(data))


def _receiver_main(port_file: str) -> None:
    """The webhook receiver (own process): answers 200 to every POST."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _start_simulator(scenario: Path, config: Path) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).parent / "breakglass"
    process = subprocess.Popen(
        [str(exe), "simulate", "--scenario", str(scenario), "--config-out", str(config)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    control = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise RuntimeError(f"the simulator ended early (exit {process.poll()})")
        if line.startswith("Control:"):
            control = line.split(None, 1)[1].strip()
        if "Press Ctrl-C" in line:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # drain
            return process, control
    raise RuntimeError("the simulator did not start within 120 s")


def _start_receiver(tmp: Path) -> tuple[subprocess.Popen[str], int]:
    port_file = tmp / "receiver.port"
    process = subprocess.Popen([sys.executable, __file__, "--receiver", str(port_file)], text=True)
    for _ in range(200):
        if port_file.exists() and port_file.read_text():
            return process, int(port_file.read_text())
        time.sleep(0.05)
    raise RuntimeError("the webhook receiver did not start")


def _serve(app: Any) -> tuple[Any, int]:
    """uvicorn on ``app`` in a thread (as ``serve`` runs it, minus the scheduler)."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    for _ in range(200):
        if server.started:
            return server, port
        time.sleep(0.05)
    raise RuntimeError("uvicorn did not start")


def _trickle(sim: httpx.Client, step: int, at: datetime) -> None:
    """One minute's sign-ins: other users', and an emergency account's every 5th step."""
    from tests.support.sim import sign_in
    from tests.support.tenant import BG1, BG2

    rows = [_other_signin(at - timedelta(seconds=20)) for _ in range(OTHERS_PER_CYCLE)]
    if step % 5 == 0:
        account = (BG1, BG2)[(step // 5) % 2]
        rows.append(sign_in(account, _stamp(at - timedelta(seconds=30)), ok=step % 15 != 0))
    sim.post("/signins", json=rows).raise_for_status()


def _viewer_token(settings: Any, now: datetime) -> str:
    from breakglass.access import create_token
    from breakglass.config import AccessRole
    from breakglass.store import Store

    with Store.open(settings.store_url) as store, store.transaction() as session:
        _info, token = create_token(
            session, settings, name="bench", role=AccessRole.VIEWER, created_by="bench", now=now
        )
    return token


def simulated_hour(
    settings: Any, control: str, start: datetime, minutes: int, rss_bare: float
) -> None:
    from breakglass_api import create_app

    from breakglass.jobs import checkpoint, dispatch, poll, run_check, sweep
    from breakglass.store import Store

    print(
        f"\n1. simulated hour, jobs and app in this process (interpreter alone: {rss_bare:.0f} MB)",
        flush=True,
    )
    token = _viewer_token(settings, start)
    store = Store.open(settings.store_url)
    server, port = _serve(create_app(settings, store=store))
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    sim = httpx.Client(base_url=control, timeout=30)
    statuses: dict[str, set[int]] = {p: set() for p in PATHS}
    wall = time.perf_counter()
    now = start
    # start-up, as serve does it: first poll and check
    poll(store, settings, now=now)
    run_check(store, settings, now=now)
    checkpoint(store, settings, now=now)
    dispatch(store, settings, now=now)
    print(f"  after start-up (first poll + check): {vm('VmRSS'):.0f} MB", flush=True)
    signins = reviews = 0
    for minute in range(1, minutes + 1):
        now = start + minute * CYCLE
        _trickle(sim, minute, now)
        result = poll(store, settings, now=now)
        signins += len(result.new_signin_ids)
        reviews += len(result.reviews_opened)
        if minute % 5 == 0:
            sweep(store, settings, now=now)
        dispatch(store, settings, now=now)
        for path in PATHS:
            statuses[path].add(api.get(path).status_code)
        if minute % 60 == 0:
            run_check(store, settings, now=now)
            checkpoint(store, settings, now=now)
        if minute % 10 == 0:
            print(
                f"  after {minute} simulated minutes: {vm('VmRSS'):.0f} MB "
                f"({signins} emergency sign-ins stored, {reviews} reviews opened, "
                f"{time.perf_counter() - wall:.0f} s wall)",
                flush=True,
            )
    api.close()
    sim.close()
    server.should_exit = True
    print(
        f"  end of {minutes} simulated minutes: {vm('VmRSS'):.0f} MB resident "
        f"(peak {vm('VmHWM'):.0f} MB; target < 250 MB), {time.perf_counter() - wall:.0f} s wall"
    )
    print("  API answers: " + ", ".join(f"{p} {sorted(s)}" for p, s in statuses.items()))
    store.close()


def real_serve(config: Path, control: str, seconds: float) -> None:
    from breakglass.config import load_settings
    from breakglass.store import Store
    from tests.support.sim import merge_toml

    port = _free_port()
    merge_toml(
        config,
        {
            "store": {"url": "sqlite:///serve.db"},
            "watch": {"poll_seconds": 1},
            "service": {
                "port": port,
                "check_minutes": 0.5,
                "sweep_seconds": 5,
                "dispatch_seconds": 1,
                "checkpoint_minutes": 1,
            },
        },
    )
    settings = load_settings(config)
    with Store.open(settings.store_url, require_migrated=False) as store:
        store.upgrade()
    token = _viewer_token(settings, datetime.now(UTC))
    exe = Path(sys.executable).parent / "breakglass"
    log = config.with_suffix(".log")
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(exe), "serve", "--config", str(config)], stdout=handle, stderr=subprocess.STDOUT
        )
    print(
        f"\n2. `breakglass serve` (pid {process.pid}) for {seconds:.0f} s: a poll every 1 s, "
        "checks every 30 s, dispatch every 1 s, sweep every 5 s",
        flush=True,
    )
    base = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    sim = httpx.Client(base_url=control, timeout=30)
    statuses: dict[str, set[int]] = {p: set() for p in PATHS}
    not_ready: set[str] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if api.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        began = time.monotonic()
        print(f"  listening: {vm('VmRSS', process.pid):.0f} MB", flush=True)
        step = 0
        next_report = 15.0
        while time.monotonic() - began < seconds:
            step += 1
            _trickle(sim, step, datetime.now(UTC))
            for path in PATHS:
                answer = api.get(path)
                statuses[path].add(answer.status_code)
                if path == "/readyz" and answer.status_code != 200:
                    not_ready.update(answer.json().get("problems", []))
            elapsed = time.monotonic() - began
            if elapsed >= next_report:
                print(f"  after {elapsed:.0f} s: {vm('VmRSS', process.pid):.0f} MB", flush=True)
                next_report += 15
            time.sleep(max(0.0, step - (time.monotonic() - began)))
        metrics = api.get("/metrics").text
        end, peak = vm("VmRSS", process.pid), vm("VmHWM", process.pid)
    finally:
        api.close()
        sim.close()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    runs = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("breakglass_job_runs_total{")
    }
    polls = sum(v for k, v in runs.items() if 'job="poll"' in k)
    checks = sum(v for k, v in runs.items() if 'job="check"' in k)
    print(
        f"  end: {end:.0f} MB resident (peak {peak:.0f} MB; target < 250 MB) after "
        f"{polls:.0f} polls and {checks:.0f} checks; exit {process.returncode}"
    )
    print("  API answers: " + ", ".join(f"{p} {sorted(s)}" for p, s in statuses.items()))
    for problem in sorted(not_ready):
        print(f"  /readyz said: {problem}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PATHS = ("/readyz", "/api/v1/status", "/api/v1/reviews", "/api/v1/findings", "/metrics")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes (cycles)")
    parser.add_argument(
        "--serve-seconds", type=float, default=90, help="wall seconds of `breakglass serve`"
    )
    parser.add_argument("--receiver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        _receiver_main(args.receiver)
        return

    rss_bare = vm("VmRSS")
    from breakglass import audit
    from breakglass.config import load_settings
    from breakglass.logs import configure_logging
    from tests.support.notify import HMAC_SECRET
    from tests.support.sim import merge_toml

    configure_logging("warning")
    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    start = datetime.now(UTC).replace(microsecond=0)
    _scenario(tmp / "scenario.json", start)
    simulator, control = _start_simulator(tmp / "scenario.json", tmp / "bg.toml")
    receiver, hook_port = _start_receiver(tmp)
    print(
        f"tenant: {BACKGROUND_SIGNINS:,} other users' sign-ins retained, {OTHERS_PER_CYCLE} "
        "more per minute, an emergency account's every 5 minutes; a webhook channel",
        flush=True,
    )
    try:
        channel = {
            "name": "soc",
            "kind": "webhook",
            "url": f"http://127.0.0.1:{hook_port}/hooks/soc",
            "hmac_secret": HMAC_SECRET,
        }
        merge_toml(
            tmp / "bg.toml",
            {
                "notifications": {"channels": [channel]},
                "audit": {"checkpoint_dir": "checkpoints", "checkpoint_key_path": "ck.pem"},
            },
        )
        serve_config = tmp / "serve.toml"
        serve_config.write_text((tmp / "bg.toml").read_text())
        serve_config.chmod(0o600)
        settings = load_settings(tmp / "bg.toml")
        audit.init_checkpoint_key(settings)
        from breakglass.store import Store

        with Store.open(settings.store_url, require_migrated=False) as store:
            store.upgrade()
        if args.minutes:
            simulated_hour(settings, control, start, args.minutes, rss_bare)
        if args.serve_seconds:
            real_serve(serve_config, control, args.serve_seconds)
    finally:
        for process in (simulator, receiver):
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
