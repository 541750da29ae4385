"""One poll of the sign-in logs: fetch every stream, then commit everything at once.

The window is ``[watermark - overlap, now]``; the first poll, and at least one poll every
``[watch] deep_read_minutes`` (default 60, ``DEEP_READ_EVERY``), cover the retention period,
so sign-ins that Graph makes visible later than the overlap (Microsoft: MFA sign-ins can
take hours) are stored and alerted within that time. A row first stored although it was
created before the overlap window is *late*: a ``watch.late_signin`` log line,
``PollResult.late_signin_ids`` and the stream's ``poll_state.late_rows`` counter record it.

The Graph phase also reads the directory audits (review evidence) of every account that
has new sign-ins or an open review whose evidence does not yet reach the session close,
in the same Graph session; the transaction attaches them (``breakglass.reviews``). An
audit read that fails never holds back a sign-in: the alert goes out with its changes
unknown and the next poll reads again.

Rows, reviews, notifications, audit entries and the advanced watermark commit in one
transaction, so a crash anywhere before the commit leaves the watermark where it was and
the next poll fetches the same window again (duplicates are skipped on sign-in id). A
stream that fails keeps its watermark and counts the failure; once ``watcher.health`` calls
it blind, one ``monitor_blind`` alert goes out for the episode.

The Graph reads run between two short transactions, never inside one: the store is not
held open while Graph is slow or throttling.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.errors import GraphError
from breakglass.graph.audit_logs import (
    STREAMS,
    SignInStream,
    fetch_directory_audits_async,
    fetch_sign_ins,
)
from breakglass.notify import monitor_blind_payload, monitor_recovered_payload, publish
from breakglass.reviews import (
    LEAD,
    WATCHER_ACTOR,
    AuditRead,
    needs_evidence,
    refresh_open_reviews,
)
from breakglass.store import Store
from breakglass.store.tables import PollStateRow, ReviewRow
from breakglass.watcher._ingest import new_sign_ins, store_sign_ins
from breakglass.watcher.health import StreamHealth, all_stream_health, stream_health, stream_names

__all__ = [
    "DEEP_READ_EVERY",
    "PollResult",
    "deep_read_every",
    "poll_once",
    "poll_once_async",
    "poll_states",
    "streams_health",
]

if TYPE_CHECKING:
    from breakglass.graph.session import GraphSession

log = structlog.get_logger(__name__)

#: The retention window is re-read at least this often by default (``[watch]
#: deep_read_minutes``; the poll interval is subtracted, so the poll that first finds the
#: time elapsed is never late).
DEEP_READ_EVERY = timedelta(hours=1)


def deep_read_every(settings: Settings) -> timedelta:
    """How often the whole retention window is re-read (``[watch] deep_read_minutes``)."""
    return timedelta(minutes=settings.watch.deep_read_minutes)


@dataclass
class PollResult:
    """What one poll did. ``errors`` maps a failed stream to its message."""

    started_at: datetime
    windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    fetched: int = 0
    new_signin_ids: list[str] = field(default_factory=list)
    reviews_opened: list[int] = field(default_factory=list)
    reviews_joined: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    blind_streams: list[str] = field(default_factory=list)
    requests: int = 0
    #: Streams whose window was the whole retention period this time.
    deep_streams: list[str] = field(default_factory=list)
    #: New sign-ins created before the overlap window (Graph showed them late).
    late_signin_ids: list[str] = field(default_factory=list)
    #: Reviews whose evidence this poll gathered or refreshed.
    evidence_refreshed: list[int] = field(default_factory=list)
    #: Accounts whose directory audits could not be read (their evidence waits).
    evidence_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def streams_for(settings: Settings) -> list[SignInStream]:
    return [STREAMS[n] for n in stream_names(settings)]


def _state(session: Session, tenant_id: str, stream: str) -> PollStateRow:
    row = session.get(PollStateRow, (tenant_id, stream), with_for_update=True)
    if row is None:
        row = PollStateRow(tenant_id=tenant_id, stream=stream, consecutive_failures=0)
        session.add(row)
    return row


def _window(
    settings: Settings, state: PollStateRow | None, now: datetime
) -> tuple[datetime, datetime, bool]:
    """The stream's read window and whether it is a deep (whole retention) read."""
    deep_start = now - timedelta(days=settings.watch.retention_days)
    if state is None or state.watermark is None or state.deep_read_at is None:
        return deep_start, now, True
    interval = timedelta(seconds=settings.watch.poll_seconds)
    if now - state.deep_read_at >= deep_read_every(settings) - interval:
        # Cheap: the query is filtered to the emergency accounts.
        return deep_start, now, True
    return state.watermark - timedelta(hours=settings.thresholds.overlap_hours), now, False


def _record_failure(
    session: Session,
    settings: Settings,
    state: PollStateRow,
    error: str,
    now: datetime,
    *,
    cause: GraphError | None = None,
    failed_at: datetime | None = None,
) -> bool:
    """Count a failed poll; enqueue the blind alert once per episode. True when blind.

    Blindness is judged when the failure is known (``failed_at``: the poll's start plus
    the time its reads took), as ``/readyz`` judges it, not when the poll started: a read
    that Graph fails only after the SDK's retries (15–25 s of 503s) would otherwise be
    judged that much too early, and an outage ending before the next failure is recorded
    would turn ``/readyz`` red without ever raising the alert.
    """
    state.last_attempt_at = now
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error = error
    health = stream_health(state.stream, state, settings, failed_at or now)
    if not health.blind:
        return False
    if state.blind_alerted_at is None:
        since = state.last_success_at.isoformat() if state.last_success_at else "never"
        last = f"{state.last_success_at:%Y-%m-%d %H:%M} UTC" if state.last_success_at else "never"
        publish(
            session,
            settings,
            event_type="monitor_blind",
            severity="critical",
            subject=f"Sign-in monitor BLIND: {state.stream} not read since {last}",
            payload=dict(
                monitor_blind_payload(
                    stream=state.stream,
                    at=now,
                    last_success_at=state.last_success_at,
                    consecutive_failures=state.consecutive_failures,
                    last_error=error,
                    blind_after_seconds=health.blind_after_seconds,
                    status=cause.status if cause is not None else None,
                    permission=getattr(cause, "permission", None),
                )
            ),
            dedupe_key=f"monitor_blind:{state.stream}:{since}",
            now=now,
        )
        state.blind_alerted_at = now
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=WATCHER_ACTOR,
            action="watch.blind",
            data={"stream": state.stream, "last_success_at": since, "error": error},
            at=now,
        )
    return True


def _record_success(
    session: Session,
    settings: Settings,
    state: PollStateRow,
    end: datetime,
    now: datetime,
    *,
    deep: bool,
    start: datetime | None = None,
) -> None:
    if state.blind_alerted_at is not None:
        publish(
            session,
            settings,
            event_type="monitor_recovered",
            severity="info",
            subject=f"Sign-in monitor recovered: {state.stream} is read again",
            payload=dict(
                monitor_recovered_payload(
                    stream=state.stream,
                    at=now,
                    last_success_at=state.last_success_at,
                    blind_alerted_at=state.blind_alerted_at,
                    consecutive_failures=state.consecutive_failures or 0,
                    last_error=state.last_error,
                    window_start=start or end,
                    window_end=end,
                )
            ),
            dedupe_key=f"monitor_recovered:{state.stream}:{state.blind_alerted_at.isoformat()}",
            now=now,
        )
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=WATCHER_ACTOR,
            action="watch.recovered",
            data={"stream": state.stream},
            at=now,
        )
    state.watermark = end
    if deep:
        state.deep_read_at = now
    state.last_success_at = now
    state.last_attempt_at = now
    state.consecutive_failures = 0
    state.last_error = None
    state.blind_alerted_at = None


def _audit_spans(
    settings: Settings,
    open_reviews: list[ReviewRow],
    new: dict[str, list[datetime]],
    now: datetime,
) -> dict[str, datetime]:
    """Account id → start of the audit read the evidence needs (it ends at ``now``).

    Open reviews whose evidence is due, and every account with new sign-ins: those may open
    a review or join (and reopen) any open or submitted review of the account.
    """
    starts: dict[str, datetime] = {}

    def need(account: str, moment: datetime) -> None:
        starts[account] = min(starts.get(account, moment), moment - LEAD)

    for review in open_reviews:
        if needs_evidence(settings, review, now):
            need(review.account_id, review.window_start)
    for account, times in new.items():
        need(account, min(times))
        for review in open_reviews:
            if review.account_id == account:
                need(account, review.window_start)
    return starts


async def _read_audits(
    gs: GraphSession, spans: dict[str, datetime], now: datetime
) -> dict[str, AuditRead]:
    """Each account's directory audits over ``[spans[account], now]``, or the read error."""
    accounts = sorted(spans)
    outcomes = await asyncio.gather(
        *(fetch_directory_audits_async(gs, a, spans[a], now) for a in accounts),
        return_exceptions=True,
    )
    reads = {}
    for account, outcome in zip(accounts, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, GraphError):
                raise outcome
            reads[account] = AuditRead(account, spans[account], now, None, str(outcome))
        else:
            reads[account] = AuditRead(account, spans[account], now, outcome)
    return reads


def _note_late(
    result: PollResult,
    state: PollStateRow,
    stream: str,
    created: dict[str, datetime],
    overlap_start: datetime | None,
) -> None:
    if overlap_start is None:  # the first poll: nothing can be late yet
        return
    late = sorted((at, ident) for ident, at in created.items() if at < overlap_start)
    for at, ident in late:
        log.warning(
            "watch.late_signin",
            stream=stream,
            signin_id=ident,
            created_at=at.isoformat(),
            overlap_start=overlap_start.isoformat(),
            late_by_hours=round((overlap_start - at).total_seconds() / 3600, 2),
        )
        result.late_signin_ids.append(ident)
    state.late_rows = (state.late_rows or 0) + len(late)


async def poll_once_async(
    store: Store, settings: Settings, *, now: datetime | None = None
) -> PollResult:
    """Poll every stream once (one Graph session) and commit the outcome."""
    from breakglass.graph.session import GraphSession

    now = (now or utcnow()).astimezone(UTC)
    began = time.monotonic()
    result = PollResult(started_at=now)
    deep: dict[str, bool] = {}
    with store.session() as session:
        for stream in streams_for(settings):
            state = session.get(PollStateRow, (settings.tenant.id, stream.name))
            start, end, deep[stream.name] = _window(settings, state, now)
            result.windows[stream.name] = (start, end)
        open_reviews = list(
            session.scalars(
                select(ReviewRow).where(
                    ReviewRow.tenant_id == settings.tenant.id,
                    ReviewRow.state.in_(("open", "submitted")),
                )
            )
        )
        session.expunge_all()
    result.deep_streams = [name for name, is_deep in deep.items() if is_deep]
    ids = settings.account_ids
    gs = GraphSession(settings)
    try:
        outcomes = await asyncio.gather(
            *(fetch_sign_ins(gs, s, ids, *result.windows[s.name]) for s in streams_for(settings)),
            return_exceptions=True,
        )
        with store.session() as session:
            fetched = [row for o in outcomes if not isinstance(o, BaseException) for row in o]
            new = new_sign_ins(session, settings, fetched)
        reads = await _read_audits(gs, _audit_spans(settings, open_reviews, new, now), now)
    finally:
        result.requests = gs.requests_made
        await gs.aclose()
    for account, read in reads.items():
        if read.error is not None:
            result.evidence_errors[account] = read.error
    refreshed: set[int] = set()
    with store.transaction() as session:
        for stream, outcome in zip(streams_for(settings), outcomes, strict=True):
            state = _state(session, settings.tenant.id, stream.name)
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, GraphError):
                    raise outcome
                result.errors[stream.name] = str(outcome)
                failed_at = now + timedelta(seconds=time.monotonic() - began)
                if _record_failure(
                    session, settings, state, str(outcome), now, cause=outcome, failed_at=failed_at
                ):
                    result.blind_streams.append(stream.name)
                continue
            overlap_start = (
                state.watermark - timedelta(hours=settings.thresholds.overlap_hours)
                if state.watermark is not None
                else None
            )
            result.fetched += len(outcome)
            ingest = store_sign_ins(session, settings, outcome, now=now, audits=reads)
            result.new_signin_ids += ingest.new_signin_ids
            result.reviews_opened += ingest.reviews_opened
            result.reviews_joined += sorted(ingest.reviews_joined)
            refreshed |= ingest.evidence_refreshed
            _note_late(result, state, stream.name, ingest.created, overlap_start)
            _record_success(
                session,
                settings,
                state,
                result.windows[stream.name][1],
                now,
                deep=deep[stream.name],
                start=result.windows[stream.name][0],
            )
        readable = {a: r for a, r in reads.items() if r.audits is not None}
        refreshed.update(
            refresh_open_reviews(session, settings, readable, actor=WATCHER_ACTOR, now=now)
        )
    result.evidence_refreshed = sorted(refreshed)
    log.info(
        "watch.poll",
        fetched=result.fetched,
        new=len(result.new_signin_ids),
        opened=len(result.reviews_opened),
        late=len(result.late_signin_ids),
        evidence_refreshed=len(result.evidence_refreshed),
        errors=result.errors,
        evidence_errors=result.evidence_errors,
        requests=result.requests,
    )
    return result


def poll_once(store: Store, settings: Settings, *, now: datetime | None = None) -> PollResult:
    """Synchronous ``poll_once_async`` (its own event loop)."""
    return asyncio.run(poll_once_async(store, settings, now=now))


def poll_states(session: Session, tenant_id: str) -> list[PollStateRow]:
    return list(session.scalars(select(PollStateRow).where(PollStateRow.tenant_id == tenant_id)))


def streams_health(session: Session, settings: Settings, now: datetime) -> tuple[StreamHealth, ...]:
    """The health of every required stream, from the stored poll states (the one rule)."""
    states = {row.stream: row for row in poll_states(session, settings.tenant.id)}
    return all_stream_health(states, settings, now)
