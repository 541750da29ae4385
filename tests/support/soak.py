"""A simulated day with faults against two ``breakglass serve`` replicas (issue 11).

``run_soak`` drives one day and returns a ``SoakReport`` of what it counted, with every
broken invariant in ``report.failures`` (empty when the day went right). The short form
runs in CI (tests/service/test_soak.py), the long form by hand (bench/bench_soak.py).

The day
    Thousands of sign-ins of other users (the watcher must never store one) and of the two
    emergency accounts: several *sessions* per account (bursts of successful sign-ins a few
    simulated minutes apart), bursts of failed attempts, one session inside a drill window
    that an operator pre-registers through the API with a token from
    ``breakglass tokens create``, and directory audits by the accounts during their
    sessions. About a third of the emergency sign-ins, and some of the others, become
    visible in Graph late, up to ``max_late_hours`` (3 h) late. Graph answers 20 % of the
    sign-in and audit reads 429 with ``Retry-After: 1``, 5 % 503, and inserts empty pages
    into 10 % of the sign-in reads (the simulator's ``probability`` faults, seeded). Once a
    day the sign-in and audit reads fail outright (503) long enough for the watcher to go
    blind, while a sampler records ``/readyz`` of both replicas twice a second. The leader
    is SIGKILLed ``kills`` times at random moments and restarted at once (two replicas
    again); PostgreSQL is restarted once (``pg_restart``, long form only: other tests
    share the server) or, in the short form, the connections to the soak's own database
    are ended with ``pg_terminate_backend`` (``terminate_backends``).

Time compression
    ``serve`` runs on the real clock, so a simulated hour lasts ``hour_seconds`` (H) wall
    seconds and the product's own settings are scaled to it: ``[thresholds]
    session_gap_hours``, ``overlap_hours``, ``submit_hours`` and ``approve_hours`` (24 h and
    72 h simulated), ``[watch] deep_read_minutes`` (the hourly re-read of the retention
    window: 1 simulated hour), ``[service] checkpoint_minutes`` (hourly) and
    ``sweep_seconds`` (5 simulated minutes, at least 1 s). A sign-in "3 h late" is shown by
    the simulator 3·H seconds after its ``createdDateTime``. Lateness beyond the scaled
    overlap (2 h) is found by the scaled deep re-read, as in production.
    *Not* compressed (wall clock, as in production): the poll interval (``poll_seconds``,
    1 s: with H = 10 s that is a poll every 6 simulated minutes, ten times the default
    rate), the blindness rule (``BLIND_INTERVALS`` × poll, at least ``BLIND_FLOOR`` = 60 s:
    so the outage lasts ``outage_seconds`` of wall time, ~9 simulated hours in the short
    form), Graph's ``Retry-After`` (1 s) and the SDK's retry backoff, the dispatcher's
    claim lease (120 s: a delivery a killed leader claimed is resent after it), the leader
    election (retry every 1 s), the check job (hourly in wall time: it runs when a replica
    starts leading) and the sign-in retention (30 days).

Invariants checked (``SoakReport.failures`` names each one broken)
    every emergency-account sign-in stored exactly once and nothing else stored; the
    reviews equal the sessions computed from the injected rows with the product's grouping
    rule (usage vs attempt, ``session_gap_hours``, drill classification), each with exactly
    its sign-ins; every outbox event delivered exactly once per channel that takes it
    ("soc": everything; "auditors": only ``audit_checkpoint``), nothing dead, one signin
    event per sign-in, a same-delivery-id resend only for a delivery a killed leader sent
    just before dying; the audit log verifies against every exported checkpoint file and
    against the checkpoints the auditors' channel received; ``/readyz`` red (503, "blind")
    throughout the blind part of the outage, never blind outside it, and green on both
    replicas after it; a ``monitor_blind`` alert raised; no traceback in either replica's
    log (except the debug traceback of a job that lost its database connection when the
    soak disrupted the database); no configured secret in either log, in the CLI output,
    or in a dump of the database.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import tomllib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import tomli_w

from breakglass.config import Settings, load_settings
from breakglass.watcher.health import BLIND_FLOOR, BLIND_INTERVALS
from tests.support.cli import run_main
from tests.support.notify import HMAC_SECRET, URL_TOKEN, Receiver, free_port, hook_channel
from tests.support.secrets import leaked
from tests.support.serve import Served, start_serve
from tests.support.sim import audit, sign_in
from tests.support.tenant import BG1, BG2, GA, PRA, healthy_tenant
from tests.support.waiting import wait_for

__all__ = [
    "DB_PASSWORD",
    "GRAPH_CLIENT_SECRET",
    "SHORT",
    "SoakOptions",
    "SoakReport",
    "expected_sessions",
    "long_form",
    "plan_day",
    "prepare_config",
    "run_soak",
    "scratch_database",
    "soak_scenario",
]

HOUR = 3600.0
GRAPH_CLIENT_SECRET = "Gr4ph~Soak.Secret_8wQz-Lm3"
DB_PASSWORD = "Soak-DB-pw-7Yq2xZ9k"
SESSION_SECRET = "soak-session-secret-4Rt8Yu2Io6Pa0Sd3Fg7Hj"
UPNS = {BG1: "bg1@contoso.onmicrosoft.com", BG2: "bg2@contoso.onmicrosoft.com"}
#: Sign-in and directory-audit reads: the faults' target.
LOG_READS = r"auditLogs/(signIns|directoryAudits)"
#: Exceptions of a job whose database connection was cut (expected while we cut it).
_CONNECTION_ERRORS = re.compile(
    r"OperationalError|InterfaceError|AdminShutdown|ConnectionTimeout|PoolTimeout|"
    r"server closed the connection|terminating connection|connection (is )?closed|"
    r"consuming input failed|the connection is lost|Connection refused|starting up|"
    r"shutting down"
)


@dataclass(frozen=True)
class SoakOptions:
    """One day's shape; the defaults are the short (CI) form."""

    hours: float = 12.0
    hour_seconds: float = 9.0
    kills: int = 1
    seed: int = 11
    #: Restart the PostgreSQL cluster once (never in CI: other tests share it).
    pg_restart: bool = False
    #: End every connection to the soak's own database once (``pg_terminate_backend``).
    terminate_backends: bool = True
    other_signins: int = 3000
    #: Session gap, overlap and lateness in simulated hours.
    gap_hours: float = 1.0
    overlap_hours: float = 2.0
    max_late_hours: float = 3.0
    #: The Graph outage: when (simulated hour) and how long (wall seconds, > BLIND_FLOOR).
    outage_at: float = 1.0
    outage_seconds: float = 72.0
    poll_seconds: int = 1
    throttled: float = 0.20
    unavailable: float = 0.05
    empty_pages: float = 0.10
    log_level: str = "debug"
    #: Generous: CI runs this beside other tests on two cores.
    settle_seconds: float = 90.0


#: The short form (CI, tests/service/test_soak.py): twelve simulated hours, one kill, the
#: soak database's connections ended instead of a PostgreSQL restart.
SHORT = SoakOptions(hours=12, hour_seconds=9, kills=1, terminate_backends=True, seed=11)


def long_form(
    *,
    hours: float = 24.0,
    hour_seconds: float = 12.0,
    kills: int = 3,
    seed: int = 11,
    pg_restart: bool = True,
    other_signins: int = 20_000,
) -> SoakOptions:
    """The long form (bench/bench_soak.py): a day, three kills, one PostgreSQL restart
    (or, with ``pg_restart`` off, the soak database's connections ended)."""
    return SoakOptions(
        hours=hours,
        hour_seconds=hour_seconds,
        kills=kills,
        seed=seed,
        pg_restart=pg_restart,
        terminate_backends=not pg_restart,
        other_signins=other_signins,
        outage_at=hours * 0.35,
        settle_seconds=120.0,
    )


@dataclass(frozen=True)
class PlannedSignIn:
    id: str
    user: str
    at: float  # simulated hours after the day starts
    ok: bool
    late: float = 0.0  # simulated hours between createdDateTime and visibility

    @property
    def emergency(self) -> bool:
        return self.user in UPNS


@dataclass(frozen=True)
class PlannedAudit:
    id: str
    by: str
    at: float


@dataclass
class DayPlan:
    signins: list[PlannedSignIn]
    audits: list[PlannedAudit]
    #: The drill window of BG2 (simulated hours), and the session it covers.
    drill: tuple[float, float]
    kills: list[float]
    disrupt_at: float | None
    outage: tuple[float, float]
    sessions: int

    @property
    def emergency(self) -> list[PlannedSignIn]:
        return [s for s in self.signins if s.emergency]


@dataclass
class Sample:
    """One ``/readyz`` answer (``status`` None: nothing listened)."""

    at: float
    replica: str
    status: int | None
    blind: bool
    problems: list[str]


@dataclass
class Kill:
    at: float
    replica: str
    takeover_seconds: float | None


@dataclass
class SoakReport:
    """What one day counted; ``failures`` lists every invariant that broke."""

    hours: float
    hour_seconds: float
    seed: int
    wall_seconds: float = 0.0
    signins_injected: int = 0
    emergency_signins: int = 0
    late_signins: int = 0
    late_beyond_overlap: int = 0
    stored_signins: int = 0
    sessions_expected: int = 0
    reviews: int = 0
    reviews_by_kind: dict[str, int] = field(default_factory=dict)
    drill_reviews: int = 0
    directory_audits: int = 0
    outbox_events: dict[str, int] = field(default_factory=dict)
    deliveries_by_channel: dict[str, int] = field(default_factory=dict)
    resends_received: int = 0
    resends_after_kill: int = 0
    delivered_after_stop: int = 0
    dead: int = 0
    kills: list[Kill] = field(default_factory=list)
    pg_restarts: int = 0
    backends_terminated: int = 0
    outage_seconds: float = 0.0
    blind_red_seconds: float = 0.0
    readyz_samples: int = 0
    readyz_transitions: list[str] = field(default_factory=list)
    graph_requests: int = 0
    faults_applied: dict[str, int] = field(default_factory=dict)
    checkpoints_exported: int = 0
    checkpoints_received: int = 0
    audit_verify: str = ""
    expected_tracebacks: int = 0
    secrets_checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def lines(self) -> list[str]:
        takeovers = ", ".join(
            f"{k.takeover_seconds:.1f} s" if k.takeover_seconds is not None else "none"
            for k in self.kills
        )
        return [
            f"simulated day      {self.hours:g} h at {self.hour_seconds:g} s per hour, seed "
            f"{self.seed}; wall time {self.wall_seconds:.0f} s",
            f"sign-ins           {self.signins_injected} injected, {self.emergency_signins} of "
            f"the emergency accounts ({self.late_signins} late, {self.late_beyond_overlap} "
            f"beyond the overlap); {self.stored_signins} stored",
            f"sessions/reviews   {self.sessions_expected} expected, {self.reviews} reviews "
            f"{dict(sorted(self.reviews_by_kind.items()))}, {self.drill_reviews} drill",
            f"directory audits   {self.directory_audits} by the accounts",
            f"outbox             {dict(sorted(self.outbox_events.items()))}",
            f"deliveries         {dict(sorted(self.deliveries_by_channel.items()))}; resends "
            f"{self.resends_received} ({self.resends_after_kill} after a kill); "
            f"{self.delivered_after_stop} delivered by `notify dispatch` after the stop; "
            f"dead {self.dead}",
            f"leader kills       {len(self.kills)}; takeover {takeovers or '-'}",
            f"database           {self.pg_restarts} PostgreSQL restart(s), "
            f"{self.backends_terminated} backends terminated",
            f"Graph              {self.graph_requests} requests; faults applied "
            f"{dict(sorted(self.faults_applied.items()))}",
            f"blind              outage {self.outage_seconds:.0f} s; /readyz red (blind) for "
            f"{self.blind_red_seconds:.0f} s; {self.readyz_samples} samples",
            *(f"  readyz           {t}" for t in self.readyz_transitions),
            f"audit              {self.checkpoints_exported} checkpoints exported, "
            f"{self.checkpoints_received} received by the auditors; verify: {self.audit_verify}",
            f"logs               {self.expected_tracebacks} expected tracebacks (database cut)",
            f"secrets            none found of {', '.join(self.secrets_checked)}"
            if not any("secret" in f for f in self.failures)
            else "secrets            LEAKED (see failures)",
            f"invariants         {'all hold' if not self.failures else 'BROKEN:'}",
            *(f"  - {f}" for f in self.failures),
        ]


# -- the scenario ----------------------------------------------------------------------------


def soak_scenario() -> dict[str, Any]:
    """The healthy tenant whose Graph app authenticates with ``GRAPH_CLIENT_SECRET``."""
    scenario = healthy_tenant()
    scenario["app"] = {**scenario.get("app", {}), "clientSecret": GRAPH_CLIENT_SECRET}
    return scenario


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def plan_day(options: SoakOptions) -> DayPlan:
    """The day's sign-ins, audits, drill window, kills and outage (seeded, reproducible).

    Sessions are designed so the truth is unambiguous whatever order Graph shows the rows
    in: a session spans at most half a session gap, and two sessions of the same account
    and kind are at least two gaps apart.
    """
    rng = random.Random(options.seed)
    gap, hours = options.gap_hours, options.hours
    end_of_late = hours - 0.3  # every row is visible before the day ends
    signins: list[PlannedSignIn] = []
    audits: list[PlannedAudit] = []
    lanes = [(BG1, True), (BG2, True), (BG1, False), (BG2, False)]
    sessions: dict[tuple[str, bool], list[list[PlannedSignIn]]] = defaultdict(list)
    for index, (account, ok) in enumerate(lanes):
        start = 0.15 + 0.3 * index + rng.uniform(0, 0.2)
        while True:
            count = rng.randint(3, 6) if ok else rng.randint(2, 4)
            step_max = min(12.0, gap * 60 / 2 / (count - 1)) / 60  # span ≤ gap / 2
            times = [start]
            for _ in range(count - 1):
                times.append(times[-1] + rng.uniform(step_max / 4, step_max))
            if times[-1] > hours - 0.4:
                break
            rows = [PlannedSignIn(_uuid(rng), account, t, ok) for t in times]
            sessions[(account, ok)].append(rows)
            start = times[-1] + 2 * gap + rng.uniform(0.2, 1.0)
    # The drill: a BG2 usage session (the second when there is one) inside a window.
    bg2_usage = sessions[(BG2, True)]
    assert bg2_usage, "the day is too short for a BG2 session"
    drilled = bg2_usage[min(1, len(bg2_usage) - 1)]
    drill = (drilled[0].at - 0.25 * gap, drilled[-1].at + 0.25 * gap)
    for key in list(sessions):
        sessions[key] = [
            s
            for s in sessions[key]
            if s is drilled
            or not (s[0].user == BG2 and s[-1].at >= drill[0] - gap and s[0].at <= drill[1] + gap)
        ]
    planned_sessions = sum(len(v) for v in sessions.values())
    emergency = [row for lane in sessions.values() for s in lane for row in s]
    # Lateness: about a third of the emergency rows, one of them the full max_late_hours.
    late_rows: dict[str, float] = {}
    for row in emergency:
        room = end_of_late - row.at
        if room > 0.2 and rng.random() < 0.33:
            late_rows[row.id] = rng.uniform(0.1, min(options.max_late_hours, room))
    fullest = [r for r in emergency if end_of_late - r.at >= options.max_late_hours]
    if fullest:
        late_rows[rng.choice(fullest).id] = options.max_late_hours
    for row in emergency:
        signins.append(
            PlannedSignIn(row.id, row.user, row.at, row.ok, round(late_rows.get(row.id, 0.0), 4))
        )
    # Directory audits by the accounts during their usage sessions.
    for (account, ok), lane in sessions.items():
        if not ok:
            continue
        for session in lane:
            for _ in range(rng.randint(1, 3)):
                at = rng.uniform(session[0].at, session[-1].at + 0.05)
                audits.append(PlannedAudit(f"Directory_{_uuid(rng)}", account, at))
    # Everyone else: a pool of users, mostly successful, some late.
    pool = [_uuid(rng) for _ in range(300)]
    for _ in range(options.other_signins):
        at = rng.uniform(0, hours - 0.1)
        late = 0.0
        if rng.random() < 0.1 and end_of_late - at > 0.2:
            late = rng.uniform(0.1, min(options.max_late_hours, end_of_late - at))
        signins.append(PlannedSignIn(_uuid(rng), rng.choice(pool), at, rng.random() < 0.85, late))
    for _ in range(options.other_signins // 30):
        audits.append(
            PlannedAudit(f"Directory_{_uuid(rng)}", rng.choice(pool), rng.uniform(0, hours))
        )
    outage = (options.outage_at, options.outage_at + options.outage_seconds / options.hour_seconds)
    # Kills and the database cut: random moments at least a simulated hour (and 8 s) apart.
    spacing = max(1.0, 8.0 / options.hour_seconds)
    moments: list[float] = []
    wanted = options.kills + (1 if options.pg_restart or options.terminate_backends else 0)
    for _ in range(1000):
        if len(moments) == wanted:
            break
        at = rng.uniform(0.5, hours - 1.0)
        if all(abs(at - m) >= spacing for m in moments):
            moments.append(at)
    assert len(moments) == wanted, "the day is too short for that many kills"
    disrupt_at = moments.pop() if wanted > options.kills else None
    signins.sort(key=lambda s: s.at)
    audits.sort(key=lambda a: a.at)
    return DayPlan(signins, audits, drill, sorted(moments), disrupt_at, outage, planned_sessions)


@dataclass(frozen=True)
class ExpectedSession:
    account: str
    kind: str
    ids: frozenset[str]
    drill: bool


def expected_sessions(
    rows: list[tuple[str, str, bool, float]], gap_seconds: float, drill: tuple[float, float]
) -> list[ExpectedSession]:
    """The reviews the product must open for these emergency sign-ins, by its rule
    (``breakglass.reviews._grouping``): successful sign-ins of an account group into one
    *usage* review, failed ones into one *attempt* review, while each lies within the
    session gap of the session's window; a review is a drill when a pre-registered drill
    window of the account covers the sign-in that opens it (here: all of the session, so
    whichever row Graph shows first). ``rows`` are (id, account, ok, created epoch seconds);
    ``drill`` is BG2's window in epoch seconds."""
    lanes: dict[tuple[str, bool], list[tuple[float, str]]] = defaultdict(list)
    for ident, account, ok, created in rows:
        lanes[(account, ok)].append((created, ident))
    found = []
    for (account, ok), times in lanes.items():
        times.sort()
        groups: list[list[tuple[float, str]]] = [[times[0]]]
        for moment in times[1:]:
            if moment[0] - groups[-1][-1][0] > gap_seconds:
                groups.append([moment])
            else:
                groups[-1].append(moment)
        for group in groups:
            # The window is BG2's: another account's session may overlap it freely.
            inside = [account == BG2 and drill[0] <= t <= drill[1] for t, _ in group]
            if any(inside) and not all(inside):
                raise ValueError("a session is partly inside the drill window: ambiguous")
            found.append(
                ExpectedSession(
                    account,
                    "usage" if ok else "attempt",
                    frozenset(i for _, i in group),
                    all(inside),
                )
            )
    return found


# -- configuration --------------------------------------------------------------------------


def prepare_config(path: Path, receiver: Receiver, db_url: str, options: SoakOptions) -> Settings:
    """Rewrite the simulator's config for the soak: time compressed (module docstring), the
    client-secret credential, the database password in the URL, the two webhook channels,
    few sensitive roles (a quicker check), the session secret."""
    from sqlalchemy.engine import make_url

    scale = options.hour_seconds / HOUR  # real hours per simulated hour
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    credential = data["credential"]
    data["credential"] = {
        "kind": "client_secret",
        "client_id": credential["client_id"],
        "client_secret": GRAPH_CLIENT_SECRET,
        "authority": credential["authority"],
        "ca_bundle": credential["ca_bundle"],
    }
    url = make_url(db_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    data["store"] = {"url": url}
    data["roles"] = {"sensitive": [GA, PRA]}
    data["thresholds"] = {
        "session_gap_hours": options.gap_hours * scale,
        "overlap_hours": options.overlap_hours * scale,
        "submit_hours": 24 * scale,
        "approve_hours": 72 * scale,
    }
    data["watch"] = {
        "poll_seconds": options.poll_seconds,
        "deep_read_minutes": 60 * scale,  # one simulated hour, in real minutes
    }
    data["service"] = {
        "leader_retry_seconds": 1,
        "dispatch_seconds": 1,
        "sweep_seconds": max(1.0, 300 * scale),
        "checkpoint_minutes": 60 * scale,
        "session_secret": SESSION_SECRET,
    }
    data["notifications"] = {
        "channels": [
            hook_channel(receiver, "soc", "webhook"),
            hook_channel(receiver, "auditors", "webhook", events=["audit_checkpoint"]),
        ]
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    path.chmod(0o600)
    return load_settings(path)


@contextlib.contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database beside ``base_url``'s (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from breakglass.store import Store

    name = f"bg_soak_{uuid.uuid4().hex[:10]}"
    # pre_ping: the long form restarts PostgreSQL, which ends the pooled connection.
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        with Store.open(url, require_migrated=False) as store:
            store.upgrade()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# -- the replicas ----------------------------------------------------------------------------


class Cluster:
    """Two replicas "a" and "b"; a killed one restarts on its port and log."""

    def __init__(self, config: Path, workdir: Path, log_level: str) -> None:
        self.config = config
        self.workdir = workdir
        self.log_level = log_level
        self.lock = threading.Lock()
        self.ports = {"a": free_port(), "b": free_port()}
        self.replicas: dict[str, Served] = {}
        self.started: list[Served] = []

    def log(self, label: str) -> Path:
        return self.workdir / f"replica-{label}.log"

    def start(self, label: str, *, append: bool = False) -> Served:
        served = start_serve(
            self.config,
            self.log(label),
            port=self.ports[label],
            wait=False,
            log_level=self.log_level,
            append=append,
        )
        with self.lock:
            self.replicas[label] = served
            self.started.append(served)
        return served

    def current(self) -> dict[str, Served]:
        with self.lock:
            return dict(self.replicas)

    def leader(self) -> str | None:
        leading = [label for label, r in self.current().items() if r.leads()]
        return leading[0] if len(leading) == 1 else None

    def kill_all(self) -> None:
        for served in self.started:
            if served.process.poll() is None:
                served.process.kill()
                served.process.wait(timeout=10)


class Sampler(threading.Thread):
    """Records ``/readyz`` of every current replica twice a second."""

    def __init__(self, cluster: Cluster, every: float = 0.5) -> None:
        super().__init__(name="readyz-sampler", daemon=True)
        self.cluster = cluster
        self.every = every
        self.samples: list[Sample] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=3) as client:
            while not self.stopping.wait(self.every):
                for label, served in self.cluster.current().items():
                    at = time.time()
                    try:
                        answer = client.get(served.url + "/readyz")
                        body = answer.json()
                        problems = [str(p) for p in body.get("problems", [])]
                        status: int | None = answer.status_code
                    except (httpx.HTTPError, ValueError):
                        problems, status = [], None
                    blind = any("blind" in p for p in problems)
                    self.samples.append(Sample(at, label, status, blind, problems))


# -- the day ---------------------------------------------------------------------------------


def _iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Day:
    """Drives one day: injections on the main thread, kills and cuts on another."""

    def __init__(
        self,
        *,
        settings: Settings,
        control: httpx.Client,
        cluster: Cluster,
        plan: DayPlan,
        options: SoakOptions,
        report: SoakReport,
        say: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.control = control
        self.cluster = cluster
        self.plan = plan
        self.options = options
        self.report = report
        self.say = say
        self.t0 = 0.0
        self.outage_wall: tuple[float, float] = (0.0, 0.0)
        self.cuts: list[float] = []
        self.errors: list[str] = []
        self.fault_round = 0

    def wall(self, hours: float) -> float:
        return self.t0 + hours * self.options.hour_seconds

    def hours(self, epoch: float) -> float:
        return (epoch - self.t0) / self.options.hour_seconds

    # faults

    def add_background_faults(self) -> None:
        o, seed = self.options, self.options.seed * 100 + self.fault_round
        self.fault_round += 1
        faults = [
            {"path": LOG_READS, "status": 429, "retry_after": 1, "probability": o.throttled},
            # Of the reads the 429 fault passed over (1 - throttled), this share makes 5 %.
            {"path": LOG_READS, "status": 503, "probability": o.unavailable / (1 - o.throttled)},
            {"path": "auditLogs/signIns", "empty_pages": True, "probability": o.empty_pages},
        ]
        for n, fault in enumerate(faults):
            fault.update(count=10**9, seed=seed + n)
        self.control.post("/faults", json=faults).raise_for_status()

    def start_outage(self) -> None:
        # 503 with Retry-After: 1 (Graph sends one with many of its 503s): each failing read
        # takes a few seconds of the SDK's retries, so failures are recorded often enough
        # for the blind alert to fire within the outage.
        self.control.post(
            "/faults", json={"path": LOG_READS, "status": 503, "retry_after": 1, "count": 10**9}
        ).raise_for_status()

    def end_outage(self) -> None:
        self.control.delete("/faults").raise_for_status()
        self.add_background_faults()

    # chaos

    def kill_leader(self) -> None:
        leader = wait_for(self.cluster.leader, timeout=60, what="one replica to lead")
        assert leader is not None
        victim = self.cluster.current()[leader]
        other = next(label for label in self.cluster.current() if label != leader)
        killed_at = time.time()
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=10)
        takeover: float | None = None
        with contextlib.suppress(AssertionError):
            wait_for(
                lambda: self.cluster.current()[other].leads(),
                timeout=60,
                every=0.1,
                what="the follower to lead",
            )
            takeover = time.time() - killed_at
        self.report.kills.append(Kill(killed_at, leader, takeover))
        self.say(
            f"  h{self.hours(killed_at):5.2f} SIGKILL leader {leader}; "
            + (f"{other} leads after {takeover:.1f} s" if takeover is not None else "NO takeover")
        )
        restarted = self.cluster.start(leader, append=True)
        restarted.wait_listening(timeout=60)

    def cut_database(self) -> None:
        from sqlalchemy import create_engine, text

        started = time.time()
        self.cuts.append(started)
        if self.options.pg_restart:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
                check=True,
                capture_output=True,
                timeout=120,
            )
            self.report.pg_restarts += 1
            self.say(f"  h{self.hours(started):5.2f} PostgreSQL restarted")
        else:
            admin = create_engine(self.settings.store_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    ended = conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalar_one()
            finally:
                admin.dispose()
            self.report.backends_terminated += int(ended)
            self.say(f"  h{self.hours(started):5.2f} ended {ended} database connections")
        self.cuts.append(time.time())

    def chaos(self) -> None:
        moments = [(at, "kill") for at in self.plan.kills]
        if self.plan.disrupt_at is not None:
            moments.append((self.plan.disrupt_at, "cut"))
        for at, what in sorted(moments):
            delay = self.wall(at) - time.time()
            if delay > 0:
                time.sleep(delay)
            try:
                self.kill_leader() if what == "kill" else self.cut_database()
            except Exception as exc:  # recorded as a failure, never a silent stop
                self.errors.append(f"{what} at h{at:.2f} failed: {type(exc).__name__}: {exc}")

    # injection

    def run(self) -> None:
        plan, o = self.plan, self.options
        chaos = threading.Thread(target=self.chaos, name="soak-chaos", daemon=True)
        actions: list[tuple[float, int, str, Any]] = []
        for row in plan.signins:
            actions.append((self.wall(row.at), 1, "signin", row))
        for entry in plan.audits:
            actions.append((self.wall(entry.at), 1, "audit", entry))
        actions.append((self.wall(plan.outage[0]), 0, "outage_start", None))
        actions.append((self.wall(plan.outage[1]), 0, "outage_end", None))
        actions.sort(key=lambda a: (a[0], a[1]))
        chaos.start()
        self.add_background_faults()
        index = 0
        while index < len(actions):
            now = time.time()
            due_rows: list[dict[str, Any]] = []
            due_audits: list[dict[str, Any]] = []
            while index < len(actions) and actions[index][0] <= now:
                _at, _order, kind, item = actions[index]
                index += 1
                if kind == "signin":
                    due_rows.append(self._row(item))
                elif kind == "audit":
                    due_audits.append(self._audit(item))
                elif kind == "outage_start":
                    self.start_outage()
                    self.outage_wall = (time.time(), 0.0)
                    self.say(f"  h{self.hours(time.time()):5.2f} Graph outage begins")
                else:
                    self.end_outage()
                    self.outage_wall = (self.outage_wall[0], time.time())
                    self.say(f"  h{self.hours(time.time()):5.2f} Graph outage ends")
            if due_rows:
                self.control.post("/signins", json=due_rows).raise_for_status()
            if due_audits:
                self.control.post("/directoryAudits", json=due_audits).raise_for_status()
            if index < len(actions):
                time.sleep(max(0.0, min(0.2, actions[index][0] - time.time())))
        chaos.join(timeout=max(60.0, o.hour_seconds * 2))
        self.errors.extend(["the kill/cut thread did not finish"] if chaos.is_alive() else [])

    def _row(self, row: PlannedSignIn) -> dict[str, Any]:
        created = self.wall(row.at)
        extra: dict[str, Any] = {"id": row.id}
        if row.late:
            extra["visibleAt"] = _iso(created + row.late * self.options.hour_seconds)
        return sign_in(row.user, _iso(created), ok=row.ok, upn=UPNS.get(row.user), **extra)

    def _audit(self, entry: PlannedAudit) -> dict[str, Any]:
        return audit(_iso(self.wall(entry.at)), by=entry.by, target=entry.by, id=entry.id)


# -- running it ------------------------------------------------------------------------------


def _cli(*argv: str, stdout_only: bool = False) -> tuple[int, str]:
    result = run_main(*argv)
    if result.escaped is not None:
        return -1, f"{type(result.escaped).__name__}: {result.escaped}"
    return result.code, result.stdout if stdout_only else result.stdout + result.stderr


def run_soak(
    *,
    config: Path,
    control_url: str,
    receiver: Receiver,
    db_url: str,
    workdir: Path,
    options: SoakOptions,
    say: Callable[[str], None] = lambda _line: None,
) -> SoakReport:
    """Run one simulated day against two ``serve`` replicas and check what happened.

    ``config`` is a simulator config (``write_config``) whose simulator serves
    ``soak_scenario()``; it is rewritten by ``prepare_config``. ``db_url`` is a migrated,
    empty database of the soak's own (PostgreSQL). Replica logs, checkpoint files and the
    database dump land in ``workdir``.
    """
    from breakglass.audit import init_checkpoint_key

    started = time.monotonic()
    report = SoakReport(options.hours, options.hour_seconds, options.seed)
    settings = prepare_config(config, receiver, db_url, options)
    init_checkpoint_key(settings)
    plan = plan_day(options)
    code, output = _cli(
        "tokens", "create", "--name", "soak-operator", "--role", "operator",
        "--config", str(config), stdout_only=True,
    )  # fmt: skip
    if code != 0:
        report.fail(f"`tokens create` exited {code}: {output[-300:]}")
        return report
    token = output.strip().splitlines()[-1]
    secrets = {
        "graph client secret": GRAPH_CLIENT_SECRET,
        "database password": DB_PASSWORD,
        "webhook URL token": URL_TOKEN,
        "webhook HMAC secret": HMAC_SECRET,
        "API token": token,
        "session secret": SESSION_SECRET,
    }
    if settings.auth.web_client_secret is not None:
        secrets["console client secret"] = settings.auth.web_client_secret.get_secret_value()
    report.secrets_checked = sorted(secrets)
    cli_output: list[str] = []
    cluster = Cluster(config, workdir, options.log_level)
    sampler = Sampler(cluster)
    control = httpx.Client(base_url=control_url, timeout=30)
    try:
        day = _run_day(settings, cluster, sampler, control, plan, options, report, token, say)
        _finish(settings, config, cluster, sampler, receiver, day, report, cli_output)
        stats = control.get("/stats").json()
        report.graph_requests = int(stats["requests"])
        report.faults_applied = {str(k): int(v) for k, v in stats["faults"].items()}
    finally:
        sampler.stopping.set()
        cluster.kill_all()
        control.close()
    _check_logs(cluster, report, secrets, bool(report.pg_restarts or report.backends_terminated))
    for text in cli_output:
        for name in leaked(text, {k: v for k, v in secrets.items() if k != "API token"}):
            report.fail(f"secret in CLI output: {name}")
    dump = _dump_database(settings, workdir)
    for name in leaked(dump, secrets):
        report.fail(f"secret in the database dump: {name}")
    say(f"scanned the logs and a {len(dump) // 1024} KiB database dump for secrets")
    report.wall_seconds = time.monotonic() - started
    return report


def _run_day(
    settings: Settings,
    cluster: Cluster,
    sampler: Sampler,
    control: httpx.Client,
    plan: DayPlan,
    options: SoakOptions,
    report: SoakReport,
    token: str,
    say: Callable[[str], None],
) -> _Day:
    for label in ("a", "b"):
        cluster.start(label)
    for served in cluster.current().values():
        served.wait_listening(timeout=60)
    wait_for(lambda: cluster.leader() is not None, timeout=60, what="one replica to lead")
    wait_for(
        lambda: all(
            (body := r.readyz()) is not None and body["status"] == "ready"
            for r in cluster.current().values()
        ),
        timeout=60,
        what="both replicas ready (the first poll done)",
    )
    day = _Day(
        settings=settings,
        control=control,
        cluster=cluster,
        plan=plan,
        options=options,
        report=report,
        say=say,
    )
    day.t0 = time.time() + 1.0
    # The operator registers the drill before it starts, through the API.
    first = cluster.current()["a"]
    answer = httpx.post(
        first.url + "/api/v1/drills",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "account": UPNS[BG2],
            "starts": _iso(day.wall(plan.drill[0])),
            "ends": _iso(day.wall(plan.drill[1])),
            "reason": "quarterly break-glass drill (soak)",
        },
        timeout=30,
    )
    if answer.status_code != 201:
        report.fail(f"registering the drill answered {answer.status_code}: {answer.text[:300]}")
    sampler.start()
    say(
        f"day starts: {len(plan.signins)} sign-ins, {plan.sessions} sessions planned, "
        f"kills at h{[round(k, 2) for k in plan.kills]}, database cut at "
        f"h{round(plan.disrupt_at, 2) if plan.disrupt_at is not None else None}, outage "
        f"h{plan.outage[0]:.2f}–h{plan.outage[1]:.2f}"
    )
    day.run()
    report.failures.extend(day.errors)
    report.outage_seconds = day.outage_wall[1] - day.outage_wall[0]
    return day


def _finish(
    settings: Settings,
    config: Path,
    cluster: Cluster,
    sampler: Sampler,
    receiver: Receiver,
    day: _Day,
    report: SoakReport,
    cli_output: list[str],
) -> None:
    from sqlalchemy import select

    from breakglass.store import Store
    from breakglass.store.tables import DeliveryRow, SignInRow

    plan, options, t0 = day.plan, day.options, day.t0
    wanted = {s.id for s in plan.emergency}
    with Store.open(settings.store_url) as store:

        def stored() -> set[str]:
            with store.session() as session:
                return set(session.scalars(select(SignInRow.signin_id)))

        try:
            wait_for(
                lambda: stored() >= wanted,
                timeout=options.settle_seconds + 2 * options.hour_seconds,
                every=0.5,
                what="every emergency sign-in stored",
            )
        except AssertionError:
            report.fail(f"{len(wanted - stored())} emergency sign-ins never stored")
        day.say(f"day over: {len(stored() & wanted)} of {len(wanted)} emergency sign-ins stored")

        # Let the service deliver what the last polls raised, then stop both replicas.
        def undelivered() -> list[DeliveryRow]:
            with store.session() as session:
                return list(
                    session.scalars(select(DeliveryRow).where(DeliveryRow.status != "sent"))
                )

        with contextlib.suppress(AssertionError):
            wait_for(lambda: not undelivered(), timeout=20, every=0.5, what="deliveries")
        sampler.stopping.set()
        sampler.join(timeout=10)
        stopping_at = time.time()
        replicas = cluster.current()
        for served in replicas.values():
            served.process.send_signal(signal.SIGTERM)
        for label, served in replicas.items():
            try:
                code = served.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                code = None
            if code != 0:
                report.fail(f"replica {label} exited {code} on SIGTERM")
        left = undelivered()
        kills = [k.at for k in report.kills]
        for row in left:
            queued = row.next_attempt_at.timestamp() if row.next_attempt_at else stopping_at
            killed_claim = row.status == "sending" and any(k <= stopping_at for k in kills)
            if stopping_at - queued > 30 and not killed_claim:
                report.fail(
                    f"delivery {row.outbox_id}:{row.channel} was {row.status} for "
                    f"{stopping_at - queued:.0f} s when the service stopped"
                )
        # What is left goes out with the next run, as an operator would run it.
        deadline = time.time() + 180
        sent_after = 0
        while True:
            code, output = _cli("notify", "dispatch", "--once", "--config", str(config))
            cli_output.append(output)
            pending = undelivered()
            if not pending or time.time() > deadline:
                break
            waits = [
                (r.claimed_until or r.next_attempt_at).timestamp() - time.time()
                for r in pending
                if (r.claimed_until or r.next_attempt_at) is not None
            ]
            time.sleep(min(30.0, max(1.0, min(waits, default=1.0) + 0.5)))
        sent_after = len(left) - len(undelivered())
        report.delivered_after_stop = sent_after
        day.say(f"stopped; {sent_after} deliveries sent by `notify dispatch` afterwards")
        _check_store(store, settings, plan, options, report, t0, receiver)
    _check_audit(config, settings, receiver, report, cli_output)
    _check_readiness(sampler.samples, report, options, t0, day.outage_wall)
    day.say("checked the store, the audit log and /readyz")


def _check_store(
    store: Any,
    settings: Settings,
    plan: DayPlan,
    options: SoakOptions,
    report: SoakReport,
    t0: float,
    receiver: Receiver,
) -> None:
    from sqlalchemy import select

    from breakglass.notify import channels_for
    from breakglass.store.tables import DeliveryRow, OutboxRow, ReviewRow, SignInRow

    H = options.hour_seconds
    emergency = plan.emergency
    report.signins_injected = len(plan.signins)
    report.emergency_signins = len(emergency)
    report.late_signins = sum(1 for s in emergency if s.late)
    report.late_beyond_overlap = sum(1 for s in emergency if s.late > options.overlap_hours)
    report.directory_audits = sum(1 for a in plan.audits if a.by in UPNS)
    with store.session() as session:
        signins = list(session.scalars(select(SignInRow)))
        reviews = list(session.scalars(select(ReviewRow)))
        outbox = list(session.scalars(select(OutboxRow)))
        deliveries = list(session.scalars(select(DeliveryRow)))
    # Sign-ins: each emergency one exactly once, nothing else.
    counted = Counter(s.signin_id for s in signins)
    report.stored_signins = len(signins)
    wanted = {s.id for s in emergency}
    if set(counted) != wanted:
        report.fail(
            f"stored sign-ins differ: {len(wanted - set(counted))} missing, "
            f"{len(set(counted) - wanted)} not of an emergency account"
        )
    if any(n != 1 for n in counted.values()):
        report.fail("a sign-in is stored twice")
    # Reviews: the true sessions, each with exactly its sign-ins.
    rows = [(s.id, s.user, s.ok, t0 + s.at * H) for s in emergency]
    drill = (t0 + plan.drill[0] * H, t0 + plan.drill[1] * H)
    truth = expected_sessions(rows, options.gap_hours * H, drill)
    report.sessions_expected = len(truth)
    if len(truth) != plan.sessions:
        report.fail(f"the plan made {plan.sessions} sessions but the rule finds {len(truth)}")
    members: dict[int, set[str]] = defaultdict(set)
    for s in signins:
        if s.review_id is None:
            report.fail(f"sign-in {s.signin_id} belongs to no review")
        else:
            members[s.review_id].add(s.signin_id)
    report.reviews = len(reviews)
    report.reviews_by_kind = dict(Counter(r.kind for r in reviews))
    report.drill_reviews = sum(1 for r in reviews if r.classification == "drill")
    found = {
        frozenset(members[r.id]): (r.account_id, r.kind, r.classification == "drill")
        for r in reviews
    }
    if len(found) != len(reviews):
        report.fail("two reviews hold the same sign-ins")
    expected = {t.ids: (t.account, t.kind, t.drill) for t in truth}
    for ids, facts in expected.items():
        if ids not in found:
            report.fail(
                f"no review holds exactly the {facts[1]} session of {facts[0]} "
                f"({len(ids)} sign-ins)"
            )
        elif found[ids] != facts:
            report.fail(f"review of {sorted(ids)[0]}…: {found[ids]} != expected {facts}")
    for ids in set(found) - set(expected):
        report.fail(f"a review holds sign-ins that are no true session ({len(ids)} sign-ins)")
    if not any(t.drill for t in truth) or report.drill_reviews != 1:
        report.fail(f"{report.drill_reviews} drill reviews (expected 1)")
    # Outbox: one signin event per sign-in; every event delivered once per channel.
    report.outbox_events = dict(Counter(o.event_type for o in outbox))
    signin_events = Counter(o.payload.get("signin_id") for o in outbox if o.event_type == "signin")
    if set(signin_events) != wanted or any(n != 1 for n in signin_events.values()):
        report.fail("signin events do not match the stored sign-ins one to one")
    if not report.outbox_events.get("monitor_blind"):
        report.fail("no monitor_blind alert was raised during the outage")
    report.dead = sum(1 for d in deliveries if d.status == "dead")
    if report.dead:
        report.fail(f"{report.dead} deliveries are dead")
    unsent = [d for d in deliveries if d.status != "sent"]
    if unsent:
        report.fail(f"{len(unsent)} deliveries never sent ({Counter(d.status for d in unsent)})")
    by_id = {o.id: o for o in outbox}
    want_pairs = {
        (o.id, c) for o in outbox for c in channels_for(settings.notifications, o.event_type)
    }
    have_pairs = {(d.outbox_id, d.channel) for d in deliveries}
    if want_pairs != have_pairs:
        report.fail(
            f"deliveries differ from the routing: {len(want_pairs - have_pairs)} missing, "
            f"{len(have_pairs - want_pairs)} extra"
        )
    received: dict[tuple[int, str], list[float]] = defaultdict(list)
    for request in receiver.requests:
        channel = request.path.split("/")[2]
        delivery = request.headers.get("x-breakglass-delivery", "")
        outbox_id, _, named = delivery.partition(":")
        if named != channel or not outbox_id.isdigit():
            report.fail(f"a request to {channel} carries delivery id {delivery!r}")
            continue
        received[(int(outbox_id), channel)].append(request.at)
    report.deliveries_by_channel = dict(Counter(c for _o, c in received))
    missing = want_pairs - set(received)
    if missing:
        sample = sorted(missing)[:3]
        report.fail(
            f"{len(missing)} deliveries never arrived, e.g. "
            + ", ".join(f"{by_id[o].event_type} {o}:{c}" for o, c in sample)
        )
    stray = set(received) - want_pairs
    if stray:
        report.fail(f"{len(stray)} deliveries arrived at a channel that does not take them")
    kills = [k.at for k in report.kills]
    for (outbox_id, channel), times in received.items():
        times.sort()
        for first, again in itertools.pairwise(times):
            report.resends_received += 1
            # Allowed only when a leader was killed right after sending (before it could
            # record the send), and the copy came after the claim ran out.
            if any(first <= k <= first + 5 and again > k for k in kills):
                report.resends_after_kill += 1
            else:
                report.fail(
                    f"delivery {outbox_id}:{channel} arrived twice without a kill between "
                    f"({again - first:.1f} s apart)"
                )


def _check_audit(
    config: Path,
    settings: Settings,
    receiver: Receiver,
    report: SoakReport,
    cli_output: list[str],
) -> None:
    from breakglass.audit import exported_checkpoints

    files = exported_checkpoints(settings)
    report.checkpoints_exported = len(files)
    if not files:
        report.fail("no checkpoint was exported")
        return
    args = [a for f in files for a in ("--checkpoint", str(f))]
    code, output = _cli("audit", "verify", "--config", str(config), *args)
    cli_output.append(output)
    verdicts = [f"{len(files)} exported files: exit {code}"]
    if code != 0:
        report.fail(
            f"`audit verify` against the exported checkpoints exited {code}: {output[-400:]}"
        )
    notes = {}
    for request in receiver.to("auditors"):
        body = json.loads(request.body)
        if body.get("event_type") == "audit_checkpoint":
            notes[body["payload"]["file_name"]] = body["payload"]["signed_note"]
    report.checkpoints_received = len(notes)
    if not notes:
        report.fail("the auditors' channel received no checkpoint")
    else:
        folder = settings.base_dir / "received-checkpoints"
        folder.mkdir(exist_ok=True)
        paths = []
        for name, note in sorted(notes.items()):
            path = folder / name
            path.write_text(note, encoding="utf-8")
            paths.append(path)
        args = [a for p in paths for a in ("--checkpoint", str(p))]
        code, output = _cli("audit", "verify", "--config", str(config), *args)
        cli_output.append(output)
        verdicts.append(f"{len(paths)} received by the auditors: exit {code}")
        if code != 0:
            report.fail(
                f"`audit verify` against the auditors' checkpoints exited {code}: {output[-400:]}"
            )
    report.audit_verify = "; ".join(verdicts)


def _check_readiness(
    samples: list[Sample],
    report: SoakReport,
    options: SoakOptions,
    t0: float,
    outage: tuple[float, float],
) -> None:
    """Red (503, blind) throughout the blind part of the outage, never blind outside it,
    green on both replicas after it."""
    begin, end = outage
    report.readyz_samples = len(samples)
    limit = max(BLIND_INTERVALS * options.poll_seconds, BLIND_FLOOR.total_seconds())
    # A stream's last success is the start of its last good poll: before the outage began,
    # by up to a poll's length (Retry-After waits make a throttled poll last ~20 s).
    must_be_blind = (begin + limit + 2.0, end - 2.0)
    may_be_blind = (begin + limit - 25.0, end + 45.0)
    answered = [s for s in samples if s.status is not None]
    in_window = [s for s in answered if must_be_blind[0] <= s.at <= must_be_blind[1]]
    if must_be_blind[1] - must_be_blind[0] < 3:
        report.fail(f"the outage ({end - begin:.0f} s) is too short to make the watcher blind")
    elif not in_window:
        report.fail("no /readyz sample while the watcher must be blind")
    for s in in_window:
        if s.status != 503 or not s.blind:
            report.fail(
                f"/readyz of {s.replica} answered {s.status} {s.problems} "
                f"{s.at - begin:.1f} s into the outage (blind expected)"
            )
            break
    for s in answered:
        if s.blind and not may_be_blind[0] <= s.at <= may_be_blind[1]:
            report.fail(
                f"/readyz of {s.replica} blind at h{(s.at - t0) / options.hour_seconds:.2f}"
                " outside the outage"
            )
            break
    blind_times = [s.at for s in answered if s.blind]
    report.blind_red_seconds = (max(blind_times) - min(blind_times)) if blind_times else 0.0
    for label in ("a", "b"):
        after = [s for s in answered if s.replica == label and s.at > end]
        if not any(s.status == 200 for s in after):
            report.fail(f"/readyz of replica {label} never green after the outage")
        elif after[-1].status != 200:
            report.fail(f"/readyz of replica {label} ended {after[-1].status} {after[-1].problems}")
    # Transitions, for the report.
    last: dict[str, str] = {}
    for s in samples:
        state = (
            "down"
            if s.status is None
            else ("green" if s.status == 200 else "red:" + ("blind" if s.blind else "other"))
        )
        if last.get(s.replica) != state:
            report.readyz_transitions.append(
                f"h{(s.at - t0) / options.hour_seconds:6.2f} ({s.at - begin:+6.1f} s from the "
                f"outage) {s.replica}: {last.get(s.replica, 'start')} -> {state}"
                + (f" {s.problems[0][:70]!r}" if state == "red:other" and s.problems else "")
            )
            last[s.replica] = state


def _check_logs(cluster: Cluster, report: SoakReport, secrets: dict[str, str], cut: bool) -> None:
    for label in ("a", "b"):
        path = cluster.log(label)
        text = path.read_text(errors="replace") if path.exists() else ""
        for name in leaked(text, secrets):
            report.fail(f"secret in replica {label}'s log: {name}")
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if "Traceback (most recent call last)" not in line:
                continue
            # The traceback runs until the next unindented line: its last line is the error.
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                end += 1
            error = lines[end] if end < len(lines) else ""
            # A chained traceback ("During handling…", "The above exception…") continues.
            while end + 1 < len(lines) and (
                "During handling" in lines[end] or "The above exception" in lines[end]
            ):
                end += 2
                while end < len(lines) and lines[end].startswith((" ", "\t", "Traceback")):
                    end += 1
                error = lines[end] if end < len(lines) else error
            before = lines[index - 1] if index else ""
            job_failure = re.match(r"job \w+ failed$", before.strip()) is not None
            if cut and job_failure and _CONNECTION_ERRORS.search(error):
                report.expected_tracebacks += 1
                continue
            report.fail(f"Traceback in replica {label}'s log after {before[:120]!r}: {error[:200]}")
        for line in lines:
            if "job.failed" in line and not (cut and _CONNECTION_ERRORS.search(line)):
                report.fail(f"replica {label}: {line.strip()[:300]}")


def _dump_database(settings: Settings, workdir: Path) -> str:
    """Every row of every table as text (``pg_dump --data-only`` too, where it is installed)."""
    from sqlalchemy import MetaData, create_engine, select
    from sqlalchemy.engine import make_url

    engine = create_engine(settings.store_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        parts = []
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    parts.append(repr(tuple(row)))
    finally:
        engine.dispose()
    text = "\n".join(parts)
    url = make_url(settings.store_url)
    if url.get_backend_name() == "postgresql" and shutil.which("pg_dump"):
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        done = subprocess.run(
            ["pg_dump", "--data-only", f"--dbname={plain}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        text += "\n" + done.stdout
        (workdir / "database.sql").write_text(done.stdout)
    return text
