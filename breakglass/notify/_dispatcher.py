"""The outbox dispatcher: deliver each (outbox entry, channel) at least once, with retries.

One delivery at a time is *claimed* in its own committed transaction — status
``sending`` and ``claimed_until = now + lease`` — before anything is sent, so two
dispatchers (replicas, or a restarted process) never send the same delivery at the same
time. PostgreSQL picks the candidate with ``SELECT … FOR UPDATE SKIP LOCKED``; on every
backend the claim itself is a conditional ``UPDATE … WHERE status/claimed_until are
unchanged`` whose row count says who won. After the send, the outcome is committed with
the same condition, so a dispatcher whose lease ran out cannot overwrite its successor.

Delivery is at-least-once per channel. A crash (or ``kill -9``) between a successful send
and its commit leaves the delivery ``sending``; once the claim expires another pass sends
it again, once. Every request carries ``X-Breakglass-Delivery: <outbox_id>:<channel>``
(and ``Idempotency-Key`` with the same value, and the same e-mail header), so a receiver
that remembers the ids it has seen drops that resend. Nothing is ever dropped by us: a
failure returns the delivery to ``pending`` with ``attempts + 1`` and an exponential,
jittered backoff (capped at an hour); after ``max_attempts`` it is ``dead`` and logged as
critical. A failing channel is skipped for the rest of the pass, so it costs the others
at most one timeout per pass. ``last_error`` is scrubbed of URLs and configured secrets.

An entry that cannot be rendered (no template for its event type, a broken template) is
a failed delivery like any other, never sent as raw JSON. Each pass first adopts the
entries that were queued while no channel took them (``adopt_undelivered``) and logs one
warning for those still waiting.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from breakglass.config import ChannelSettings, Settings
from breakglass.errors import StoreError
from breakglass.notify._message import DeliveryError, Notification
from breakglass.notify._outbox import adopt_undelivered
from breakglass.notify._render import RenderedBody, RenderError, render_body
from breakglass.notify._scrub import channel_secrets, scrub
from breakglass.notify._send import send_notification
from breakglass.store.tables import DeliveryRow, OutboxRow

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DeliveryOutcome",
    "DispatchResult",
    "SessionFactory",
    "backoff_delay",
    "default_lease",
    "dispatch_once",
    "run_dispatcher",
]

SessionFactory = Callable[[], Session]
OutcomeStatus = Literal["sent", "retry", "dead", "claim_lost"]

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: At most this many deliveries per pass, so one pass ends and the next sees new work.
DEFAULT_LIMIT = 200
_CLAIM_RACES = 20
_ERROR_MAX = 2000


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt at one delivery did."""

    outbox_id: int
    channel: str
    status: OutcomeStatus
    #: Failed attempts so far (after this one).
    attempts: int
    #: Why it failed (scrubbed), or a note on a sent delivery (payload off the contract, …).
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class DispatchResult:
    """Every delivery one ``dispatch_once`` pass attempted."""

    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def _with(self, status: OutcomeStatus) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def sent(self) -> list[DeliveryOutcome]:
        return self._with("sent")

    @property
    def retried(self) -> list[DeliveryOutcome]:
        return self._with("retry")

    @property
    def dead(self) -> list[DeliveryOutcome]:
        return self._with("dead")

    @property
    def ok(self) -> bool:
        return all(o.status == "sent" for o in self.outcomes)


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    outbox_id: int
    channel: str
    attempts: int
    claimed_until: datetime


def default_lease(settings: Settings) -> timedelta:
    """Long enough for the slowest channel's send (SMTP is several round trips)."""
    slowest = max((c.timeout_seconds for c in settings.notifications.channels), default=10.0)
    return timedelta(seconds=max(120.0, 6 * slowest))


def backoff_delay(
    attempts: int, *, rng: random.Random | None = None, retry_after: float | None = None
) -> timedelta:
    """Wait after the ``attempts``-th failure: 30 s doubling, capped at 1 h, jittered.

    The jitter (50–100 % of the step) keeps replicas and channels from retrying in step;
    a receiver's ``Retry-After`` raises the wait, within the same cap.
    """
    step = BACKOFF_BASE.total_seconds() * 2 ** min(max(attempts - 1, 0), 20)
    step = min(step, BACKOFF_CAP.total_seconds())
    delay = step * (rng or random).uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, BACKOFF_CAP.total_seconds()))
    return timedelta(seconds=delay)


def dispatch_once(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    now: datetime | None = None,
    lease: timedelta | None = None,
    limit: int = DEFAULT_LIMIT,
    rng: random.Random | None = None,
    outbox_ids: Collection[int] | None = None,
) -> DispatchResult:
    """Claim and send every due delivery of this tenant once; record each outcome.

    ``session_factory`` comes from the caller (``store.session_factory``): each claim and each
    outcome is its own short transaction, so the dispatcher needs fresh sessions, never
    an open one. ``now`` fixes the clock (tests); otherwise each step reads the real
    clock. ``outbox_ids`` restricts the pass to those entries (``breakglass notify test``).
    Raises ``StoreError`` when the database fails; a channel's failure is recorded in
    the delivery row and the result, never raised.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    try:
        return _Pass(
            settings, session_factory, now, lease or default_lease(settings), rng, outbox_ids
        ).run(limit)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"outbox dispatch failed on the database: {type(exc).__name__}: "
            f"{str(getattr(exc, 'orig', None) or exc)[:300]}"
        ) from None


def run_dispatcher(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    interval_seconds: float = 15.0,
    stop: threading.Event | None = None,
) -> None:
    """Dispatch every ``interval_seconds`` until ``stop`` is set; database errors are logged."""
    log = structlog.get_logger("breakglass.notify")
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            result = dispatch_once(settings, session_factory=session_factory)
        except StoreError as exc:
            log.error("notify.dispatch_failed", error=str(exc))
        else:
            if result.outcomes:
                log.info(
                    "notify.dispatched",
                    sent=len(result.sent),
                    retried=len(result.retried),
                    dead=len(result.dead),
                )
        stop.wait(interval_seconds)


#: The undelivered backlog last warned about, per database and tenant (``_Pass.adopt``).
_WARNED: dict[tuple[str, str], tuple[tuple[str, int], ...]] = {}
_WARNED_LOCK = threading.Lock()


class _Pass:
    """One dispatch pass: claim, send, record — one delivery at a time."""

    def __init__(
        self,
        settings: Settings,
        factory: SessionFactory,
        now: datetime | None,
        lease: timedelta,
        rng: random.Random | None,
        outbox_ids: Collection[int] | None = None,
    ) -> None:
        self.settings = settings
        self.outbox_ids = None if outbox_ids is None else list(outbox_ids)
        self.factory = factory
        self.fixed_now = now
        self.lease = lease
        self.rng = rng
        self.tenant_id = settings.tenant.id
        self.channels = {c.name: c for c in settings.notifications.channels}
        self.log = structlog.get_logger("breakglass.notify")
        self.bodies: dict[int, RenderedBody | RenderError] = {}
        #: Deliveries tried in this pass, and channels that failed in it (skipped after).
        self.tried: set[int] = set()
        self.failing: set[str] = set()

    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)

    def run(self, limit: int) -> DispatchResult:
        result = DispatchResult()
        if self.outbox_ids is None:
            self.adopt()
        while len(result.outcomes) < limit:
            claim = self.claim_next()
            if claim is None:
                break
            self.tried.add(claim.delivery_id)
            outcome = self.deliver(claim)
            unrenderable = isinstance(self.bodies.get(claim.outbox_id), RenderError)
            if outcome.status != "sent" and not unrenderable:
                self.failing.add(claim.channel)  # the channel's fault: skip it this pass
            result.outcomes.append(outcome)
        return result

    def adopt(self) -> None:
        """Queue deliveries for entries raised while no channel took them; warn once."""
        with self.factory() as session, session.begin():
            created, waiting = adopt_undelivered(
                session, self.settings.notifications, tenant_id=self.tenant_id, now=self.now()
            )
            bind = session.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            database = engine.url.render_as_string(hide_password=True)
        if created:
            self.log.info("notify.adopted", deliveries=created)
        # Once per process for the same backlog: the service dispatches every few seconds
        # and would otherwise repeat the same warning each time (a cron run still warns).
        backlog = tuple(sorted(waiting.items()))
        with _WARNED_LOCK:
            repeated = _WARNED.get((database, self.tenant_id)) == backlog
            _WARNED[(database, self.tenant_id)] = backlog
        if waiting and not repeated:
            self.log.warning(
                "notify.undelivered",
                events=sum(waiting.values()),
                by_type=dict(sorted(waiting.items())),
                hint="no notification channel takes these events; they are kept and go "
                "out once [[notifications.channels]] has a channel for them",
            )

    # -- claiming ---------------------------------------------------------------------

    def claim_next(self) -> _Claim | None:
        for _ in range(_CLAIM_RACES):
            moment = self.now()
            due = and_(
                DeliveryRow.tenant_id == self.tenant_id,
                DeliveryRow.next_attempt_at <= moment,
                or_(
                    DeliveryRow.status == "pending",
                    and_(DeliveryRow.status == "sending", DeliveryRow.claimed_until < moment),
                ),
            )
            if self.tried:
                due = and_(due, DeliveryRow.id.not_in(self.tried))
            if self.outbox_ids is not None:
                due = and_(due, DeliveryRow.outbox_id.in_(self.outbox_ids))
            if self.failing:
                due = and_(due, DeliveryRow.channel.not_in(self.failing))
            query = (
                select(DeliveryRow.id, DeliveryRow.status, DeliveryRow.claimed_until)
                .where(due)
                .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
                .limit(1)
            )
            with self.factory() as session:
                postgres = session.get_bind().dialect.name == "postgresql"
                claim: _Claim | None = None
                with session.begin():
                    if postgres:
                        # Locked rows are skipped by the others until this claim commits.
                        query = query.with_for_update(skip_locked=True)
                    candidate = session.execute(query).first()
                    if candidate is None:
                        return None
                    if postgres:
                        claim = self._take(session, *candidate, moment)
                if not postgres:
                    # SQLite has no row locks: the conditional UPDATE decides who wins.
                    with session.begin():
                        claim = self._take(session, *candidate, moment)
            if claim is not None:
                return claim
        return None  # lost every race this time; the next pass tries again

    def _take(
        self,
        session: Session,
        delivery_id: int,
        status: str,
        claimed_until: datetime | None,
        moment: datetime,
    ) -> _Claim | None:
        until = moment + self.lease
        result = session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == status,
                DeliveryRow.claimed_until.is_not_distinct_from(claimed_until),
            )
            .values(status="sending", claimed_until=until)
            .returning(DeliveryRow.outbox_id, DeliveryRow.channel, DeliveryRow.attempts)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        if row is None:
            return None
        return _Claim(delivery_id, row.outbox_id, row.channel, row.attempts, until)

    # -- sending ----------------------------------------------------------------------

    def deliver(self, claim: _Claim) -> DeliveryOutcome:
        channel = self.channels.get(claim.channel)
        secrets = channel_secrets(channel) if channel else []
        note: str | None = None
        error: DeliveryError | None = None
        try:
            if channel is None:
                raise DeliveryError(
                    f"channel {claim.channel!r} is not configured (removed or renamed?)",
                    likely_config=True,
                )
            notification, note = self.notification(claim, channel)
            extra = send_notification(channel, notification, resolve=self.settings.resolve)
            note = "; ".join(n for n in (note, extra) if n) or None
        except DeliveryError as exc:
            error = exc
        except SQLAlchemyError:
            raise  # the database, not the channel: the delivery stays claimed and is retried
        except Exception as exc:  # a bug in one channel must not stop the others
            error = DeliveryError(f"unexpected {type(exc).__name__}: {exc}")
        if error is None:
            return self.record_sent(claim, scrub(note, secrets) if note else None)
        return self.record_failure(claim, error, scrub(str(error), secrets))

    def notification(
        self, claim: _Claim, channel: ChannelSettings
    ) -> tuple[Notification, str | None]:
        """The rendered notification and a note on its payload; ``RenderError`` if none."""
        with self.factory() as session:
            outbox = session.get(OutboxRow, claim.outbox_id)
        if outbox is None:  # a foreign key makes this impossible; say so if it happens
            raise DeliveryError(f"outbox entry {claim.outbox_id} is missing")
        if claim.outbox_id not in self.bodies:
            try:
                self.bodies[claim.outbox_id] = render_body(
                    outbox_id=outbox.id,
                    tenant_id=outbox.tenant_id,
                    event_type=outbox.event_type,
                    severity=outbox.severity,
                    subject=outbox.subject,
                    created_at=outbox.created_at,
                    payload=outbox.payload,
                    timezone=self.settings.notifications.timezone,
                )
            except RenderError as exc:
                self.log.error(
                    "notify.template_error",
                    outbox_id=outbox.id,
                    event_type=outbox.event_type,
                    problem=str(exc),
                )
                self.bodies[claim.outbox_id] = exc
        body = self.bodies[claim.outbox_id]
        if isinstance(body, RenderError):
            raise body
        note = Notification(
            outbox_id=outbox.id,
            channel=channel.name,
            tenant_id=outbox.tenant_id,
            event_type=outbox.event_type,
            severity=outbox.severity,
            subject=outbox.subject,
            created_at=outbox.created_at,
            payload=outbox.payload,
            text=body.text,
            html=body.html,
            view=body.view,
        )
        return note, body.contract_note or None

    # -- recording --------------------------------------------------------------------

    def _record(self, claim: _Claim, **values: object) -> bool:
        with self.factory() as session, session.begin():
            result = session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == claim.delivery_id,
                    DeliveryRow.status == "sending",
                    DeliveryRow.claimed_until == claim.claimed_until,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(result, CursorResult)
            won = result.rowcount == 1
        if not won:
            self.log.warning(
                "notify.claim_lost",
                outbox_id=claim.outbox_id,
                channel=claim.channel,
                hint="the lease expired during the send; another dispatcher owns it now",
            )
        return won

    def record_sent(self, claim: _Claim, note: str | None) -> DeliveryOutcome:
        moment = self.now()
        won = self._record(
            claim, status="sent", sent_at=moment, claimed_until=None, last_error=note
        )
        if won:
            self.log.info(
                "notify.sent",
                outbox_id=claim.outbox_id,
                channel=claim.channel,
                attempts=claim.attempts,
            )
        return DeliveryOutcome(
            claim.outbox_id,
            claim.channel,
            "sent" if won else "claim_lost",
            claim.attempts,
            note,
        )

    def record_failure(self, claim: _Claim, error: DeliveryError, message: str) -> DeliveryOutcome:
        attempts = claim.attempts + 1
        message = message[:_ERROR_MAX]
        moment = self.now()
        dead = attempts >= self.settings.notifications.max_attempts
        next_at = moment + backoff_delay(attempts, rng=self.rng, retry_after=error.retry_after)
        won = self._record(
            claim,
            status="dead" if dead else "pending",
            attempts=attempts,
            claimed_until=None,
            next_attempt_at=moment if dead else next_at,
            last_error=message,
        )
        if not won:
            return DeliveryOutcome(claim.outbox_id, claim.channel, "claim_lost", attempts, message)
        fields = {
            "outbox_id": claim.outbox_id,
            "channel": claim.channel,
            "attempts": attempts,
            "error": message,
            "likely_config": error.likely_config,
        }
        if dead:
            self.log.critical(
                "notify.dead",
                **fields,
                max_attempts=self.settings.notifications.max_attempts,
                hint="this notification was NOT delivered to this channel; fix the channel "
                "and re-queue it",
            )
            return DeliveryOutcome(claim.outbox_id, claim.channel, "dead", attempts, message)
        self.log.warning("notify.retry", **fields, next_attempt_at=next_at.isoformat())
        return DeliveryOutcome(claim.outbox_id, claim.channel, "retry", attempts, message, next_at)
