"""``breakglass demo``: the whole product, served, against the built-in simulated tenant.

Starts the tenant simulator with the demo scenario (it plays Microsoft Graph and Entra ID,
including a sign-in page listing demo users of every service role), writes a config that
points at it, migrates a SQLite store beside it and runs the service in this process
(``breakglass.scheduler.run_service``, what ``breakglass serve`` runs). At start-up the
service polls the sign-in logs (opening reviews for the uses it finds) and runs the
checks through the real Graph client. Once that first poll is done an emergency account
"signs in" (through the simulator's control endpoint) and the next poll opens or extends
its mandatory after-action review, which the console's dashboard shows. The demo prints
``Console: http://…`` and the demo users on stderr and runs until Ctrl-C (or
``stop_after`` seconds). No notification channel is configured, on purpose: the alerts
wait in the outbox.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from breakglass._time import utcnow
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.simulator import SimulatorServer
    from breakglass.store import Store

__all__ = ["DEMO_POLL_SECONDS", "demo_scenario_path", "run_demo"]

#: The demo polls more often than a real service (60 s), so the live review shows quickly.
DEMO_POLL_SECONDS = 10
#: How long the demo waits for the service's first poll and check before giving up on them.
_FIRST_RUN_WAIT = 120.0


def demo_scenario_path() -> Path:
    return Path(__file__).parent / "simulator" / "scenarios" / "demo.json"


def run_demo(workdir: Path, *, port: int = 8080, stop_after: float | None = None) -> ExitCode:
    """Run the demo until Ctrl-C (or ``stop_after`` seconds); the exit code.

    ``StoreError`` and ``ServiceError`` (port taken, database served by another process)
    propagate for the CLI to report.
    """
    from breakglass.config import load_settings
    from breakglass.scheduler import run_service
    from breakglass.signing import PASSPHRASE_ENV
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store import Store

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(demo_scenario_path())
    server = SimulatorServer(scenario, state_dir=workdir / "simulator")
    server.start()
    narrator: _Narrator | None = None
    set_env = False
    try:
        config_path = write_config(server, scenario, workdir / "breakglass.toml")
        _demo_overrides(config_path)
        settings = load_settings(config_path)
        with Store.open(settings.store_url, require_migrated=False) as store:
            store.upgrade()
        signing, passphrase = _demo_keys(settings, workdir)
        if passphrase is not None:
            os.environ[PASSPHRASE_ENV] = passphrase  # for the service in this process
            set_env = True
        err.print(f"[bold]Simulated tenant[/] {settings.tenant.name} at {server.graph_url}")
        err.print(f"Config: {config_path}", markup=False)
        err.print(
            f"Database: {settings.store_url.removeprefix('sqlite:///')} (kept between runs; "
            f"delete {workdir} to start over)",
            markup=False,
        )
        err.print(signing, markup=False)
        err.print(
            "Notifications: none configured, on purpose — alerts wait in the outbox until "
            "a channel is added ([[notifications.channels]], see the README).",
            markup=False,
        )
        narrator = _Narrator(settings, server, config_path, err)
        code = run_service(
            settings,
            host="127.0.0.1",
            port=port,
            stop_after=stop_after,
            ready_callback=narrator.start,
        )
    finally:
        if narrator is not None:
            narrator.stop()
        server.stop()
        if set_env:
            os.environ.pop(PASSPHRASE_ENV, None)
    err.print(f"Demo stopped. {server.request_count} Graph and Entra requests were served.")
    return ExitCode(code)


def _demo_keys(settings: Settings, workdir: Path) -> tuple[str, str | None]:
    """The audit checkpoint key and the runbook signing key, made on the first run.

    The signing key's passphrase is random, kept in ``signing-passphrase`` (0600) beside
    the config; the service's runbook build and review reports read it from the
    environment. Returns the line that says so, and the passphrase to put in this
    process's environment (None: it is there already, or unknown).
    """
    from breakglass import audit
    from breakglass.signing import PASSPHRASE_ENV, init_keys

    if not settings.resolve(settings.audit.checkpoint_key_path).exists():
        audit.init_checkpoint_key(settings)
    key_path = settings.resolve(settings.signing.key_path)
    stored = workdir / "signing-passphrase"
    given = os.environ.get(PASSPHRASE_ENV)
    passphrase = given
    if passphrase is None and stored.exists():
        passphrase = stored.read_text(encoding="utf-8").strip()
    if not key_path.exists():
        if passphrase is None:
            passphrase = secrets.token_urlsafe(24)
            fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(passphrase + "\n")
        init_keys(settings, passphrase)
    if passphrase is None:
        return (
            f"Signing: {key_path} exists but its passphrase is unknown (set {PASSPHRASE_ENV}); "
            "runbooks and review reports cannot be signed in this demo",
            None,
        )
    where = f"from {PASSPHRASE_ENV}" if given is not None else f"in {stored}"
    line = f"Signing key: {key_path} (passphrase {where}) signs runbooks and review reports"
    return line, None if given is not None else passphrase


def _demo_overrides(config_path: Path) -> None:
    """What the demo adds to the simulator's config: a fast poll and a session secret."""
    import tomllib

    import tomli_w

    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    data["watch"] = {**data.get("watch", {}), "poll_seconds": DEMO_POLL_SECONDS}
    data["service"] = {
        **data.get("service", {}),
        "session_secret": secrets.token_urlsafe(48),  # the file is private (0600)
    }
    header = "".join(
        line + "\n"
        for line in config_path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )
    fd = os.open(config_path, os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(header + "# breakglass demo: polls every 10 s; a random session secret.\n\n")
        handle.write(tomli_w.dumps(data))
    config_path.chmod(0o600)


class _Narrator:
    """Once the service listens: the console URL and the demo users; then, in a thread,
    what the first poll and check found, the live sign-in and the review it opens."""

    def __init__(
        self, settings: Settings, server: SimulatorServer, config_path: Path, err: Console
    ) -> None:
        self.settings = settings
        self.server = server
        self.config_path = config_path
        self.err = err
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.began = utcnow()

    def start(self, url: str) -> None:
        self._introduce(url)
        self.thread = threading.Thread(
            target=self._narrate, args=(url,), name="bg-demo-narrator", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _print(self, text: str, **kwargs: Any) -> None:
        if not self.stopping.is_set():
            self.err.print(text, **kwargs)

    def _introduce(self, url: str) -> None:
        users = self.server.demo_users
        width = max(len(str(u["name"])) for u in users)
        role_map = self.settings.auth.role_map
        self._print("")
        self._print(f"Console: {url}/", markup=False)
        self._print(
            "Sign in there: the simulated Entra sign-in page lists these demo users; pick one "
            "(no password). Each holds one service role:",
            markup=False,
        )
        for user in users:
            roles = ", ".join(
                role_map[r].value if r in role_map else str(r) for r in user.get("roles", [])
            )
            self._print(
                f"  {user['name']!s:<{width}}  {roles:<9} {user.get('preferred_username', '')}",
                markup=False,
            )
        self._print(f"API docs: {url}/docs   Metrics: {url}/metrics   Ctrl-C stops the demo.")

    def _narrate(self, url: str) -> None:
        from breakglass.store import Store

        try:
            with Store.open(self.settings.store_url) as store:
                if not self._first_poll_and_check(store):
                    return
                signin_id = self._live_signin()
                review_id = self._wait_for_review(store, signin_id)
                if review_id is not None:
                    self._next_steps(url, review_id)
        except Exception as exc:  # the narration must never take the service down
            self._print(f"demo narration stopped: {type(exc).__name__}: {exc}", markup=False)

    def _wait(self, condition: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while not self.stopping.is_set() and time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            self.stopping.wait(0.5)
        return None

    def _first_poll_and_check(self, store: Store) -> bool:
        from breakglass.reviews import list_reviews
        from breakglass.store.runs import latest_run
        from breakglass.watcher import poll_states

        tenant = self.settings.tenant.id
        began = self.began  # this run's, not a previous demo's (the database is kept)

        def polled() -> bool:
            with store.session() as session:
                states = poll_states(session, tenant)
                return bool(states) and all(
                    s.last_success_at is not None and s.last_success_at >= began for s in states
                )

        if not self._wait(polled, _FIRST_RUN_WAIT):
            self._print("the service's first poll has not finished; see the log above")
            return False
        with store.session() as session:
            reviews = list_reviews(session, self.settings)
        pending = [r for r in reviews if r["state"] != "closed"]
        self._print(
            f"\nwatcher, first poll done: {len(pending)} review(s) in progress for the uses in "
            "the retained sign-in logs"
        )

        def checked() -> dict[str, int] | None:
            with store.session() as session:
                run = latest_run(session=session, tenant_id=tenant)
                return dict(run.summary) if run is not None and run.started_at >= began else None

        summary = self._wait(checked, _FIRST_RUN_WAIT)
        if summary is None:
            self._print("the first check has not finished; see the log above")
            return False
        failing = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("fail", "error"))
        self._print(
            f"checks: {summary.get('pass', 0)} pass, {failing} — the failing findings are "
            "planted in the demo tenant on purpose (Findings in the console)"
        )
        return True

    def _live_signin(self) -> str:
        import httpx

        account = self.settings.accounts[0]
        self._print(
            f"\n[bold]Live:[/] {account.upn} signs in now (simulated); the next poll (every "
            f"{DEMO_POLL_SECONDS} s) opens its review, or adds it to one in progress …"
        )
        answer = httpx.post(
            f"{self.server.control_url}/events",
            json={"type": "signin", "user": account.upn, "success": True},
            timeout=10,
        )
        answer.raise_for_status()
        return str(answer.json()["added"][0])

    def _wait_for_review(self, store: Store, signin_id: str) -> int | None:
        from breakglass.reviews import list_reviews

        def holding() -> dict[str, Any] | None:
            with store.session() as session:
                reviews = list_reviews(session, self.settings)
            return next((r for r in reviews if signin_id in r["signin_ids"]), None)

        review = self._wait(holding, 6 * DEMO_POLL_SECONDS + 60)
        if review is None:
            self._print("the live sign-in has not reached a review yet; see the log above")
            return None
        self._print(
            f"  review #{review['id']} {review['kind']} {review['state']}: "
            f"{review['account']['upn']}, {len(review['signin_ids'])} sign-in(s), "
            f"due {_utc(review['due_at'])}  ← the live sign-in",
            markup=False,
        )
        return int(review["id"])

    def _next_steps(self, url: str, review_id: int) -> None:
        account = self.settings.accounts[0]
        users = {str(r): u for u in self.server.demo_users for r in u.get("roles", [])}
        operator = users.get("Breakglass.Operator", {}).get("name", "the operator")
        approver = users.get("Breakglass.Approver", {}).get("name", "an approver")
        cfg = self.config_path
        for line in (
            "",
            f"Next, in the console ({url}/reviews/{review_id}):",
            f"  1. sign in as {operator} and submit the review;",
            f"  2. sign out, sign in as {approver} and approve it (whoever submitted may "
            "not approve: the two-person rule);",
            "  3. close it: refused until the account's credentials are rotated. Rotate the "
            "password in the simulated tenant, then close again:",
            f"     curl -X PATCH {self.server.control_url}/resources/users/{account.object_id} "
            "-H 'content-type: application/json' -d '{\"lastPasswordChangeDateTime\": \"-0s\"}'",
            "The API, with a service token (or the simulator's user tokens, README):",
            f"  TOKEN=$({_command()} tokens create -c {cfg} --name me --role viewer | tail -n 1)",
            f'  curl -H "Authorization: Bearer $TOKEN" {url}/api/v1/reviews/{review_id}',
        ):
            self._print(line, markup=False)


def _utc(stamp: str | None) -> str:
    """An ISO time as people read it: ``2026-12-02 00:57 UTC``."""
    from datetime import UTC, datetime

    if not stamp:
        return "no deadline"
    return f"{datetime.fromisoformat(stamp).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _command() -> str:
    """How to run ``breakglass`` from a shell: the name when PATH finds this one."""
    import shlex
    import shutil
    import sys

    here = Path(sys.executable).parent / "breakglass"
    found = shutil.which("breakglass")
    if not here.exists() or (found is not None and Path(found).resolve() == here.resolve()):
        return "breakglass"
    return shlex.quote(str(here))
