"""One poll of the sign-in logs: fetch every stream, then commit everything at once.

The window is ``[watermark - overlap, now]``; the first poll, and the first poll of each UTC
day, cover the retention period (so rows later than the overlap are still caught).
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.errors import GraphError
from breakglass.graph.audit_logs import STREAMS, SignInStream, fetch_sign_ins
from breakglass.notify import publish
from breakglass.reviews import WATCHER_ACTOR
from breakglass.store import Store
from breakglass.store.tables import PollStateRow
from breakglass.watcher._ingest import store_sign_ins
from breakglass.watcher.health import StreamHealth, all_stream_health, stream_health, stream_names

__all__ = ["PollResult", "poll_once", "poll_once_async", "poll_states", "streams_health"]

log = structlog.get_logger(__name__)


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
) -> tuple[datetime, datetime]:
    if state is None or state.watermark is None:
        return now - timedelta(days=settings.watch.retention_days), now
    if state.watermark.date() != now.date():
        # The first poll of each UTC day re-reads the whole retention window: sign-ins that
        # arrive later than the overlap (Microsoft: MFA sign-ins can take hours) are still
        # stored, and reviewed, within a day. It costs a request or two: the query is
        # filtered to the emergency accounts.
        return now - timedelta(days=settings.watch.retention_days), now
    return state.watermark - timedelta(hours=settings.thresholds.overlap_hours), now


def _record_failure(
    session: Session, settings: Settings, state: PollStateRow, error: str, now: datetime
) -> bool:
    """Count a failed poll; enqueue the blind alert once per episode. True when blind."""
    state.last_attempt_at = now
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error = error
    if not stream_health(state.stream, state, settings, now).blind:
        return False
    if state.blind_alerted_at is None:
        since = state.last_success_at.isoformat() if state.last_success_at else "never"
        publish(
            session,
            settings,
            event_type="monitor_blind",
            severity="critical",
            subject=f"The sign-in watcher cannot see {state.stream} (last success: {since})",
            payload={
                "stream": state.stream,
                "last_success_at": state.last_success_at.isoformat()
                if state.last_success_at
                else None,
                "consecutive_failures": state.consecutive_failures,
                "last_error": error,
            },
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
    session: Session, settings: Settings, state: PollStateRow, end: datetime, now: datetime
) -> None:
    if state.blind_alerted_at is not None:
        publish(
            session,
            settings,
            event_type="monitor_recovered",
            severity="info",
            subject=f"The sign-in watcher sees {state.stream} again",
            payload={"stream": state.stream, "blind_since": state.blind_alerted_at.isoformat()},
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
    state.last_success_at = now
    state.last_attempt_at = now
    state.consecutive_failures = 0
    state.last_error = None
    state.blind_alerted_at = None


async def poll_once_async(
    store: Store, settings: Settings, *, now: datetime | None = None
) -> PollResult:
    """Poll every stream once (one Graph session) and commit the outcome."""
    from breakglass.graph.session import GraphSession

    now = (now or utcnow()).astimezone(UTC)
    result = PollResult(started_at=now)
    with store.session() as session:
        for stream in streams_for(settings):
            state = session.get(PollStateRow, (settings.tenant.id, stream.name))
            result.windows[stream.name] = _window(settings, state, now)
    ids = settings.account_ids
    gs = GraphSession(settings)
    try:
        outcomes = await asyncio.gather(
            *(fetch_sign_ins(gs, s, ids, *result.windows[s.name]) for s in streams_for(settings)),
            return_exceptions=True,
        )
    finally:
        result.requests = gs.requests_made
        await gs.aclose()
    with store.transaction() as session:
        for stream, outcome in zip(streams_for(settings), outcomes, strict=True):
            state = _state(session, settings.tenant.id, stream.name)
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, GraphError):
                    raise outcome
                result.errors[stream.name] = str(outcome)
                if _record_failure(session, settings, state, str(outcome), now):
                    result.blind_streams.append(stream.name)
                continue
            result.fetched += len(outcome)
            ingest = store_sign_ins(session, settings, outcome, now=now)
            result.new_signin_ids += ingest.new_signin_ids
            result.reviews_opened += ingest.reviews_opened
            result.reviews_joined += sorted(ingest.reviews_joined)
            _record_success(session, settings, state, result.windows[stream.name][1], now)
    log.info(
        "watch.poll",
        fetched=result.fetched,
        new=len(result.new_signin_ids),
        opened=len(result.reviews_opened),
        errors=result.errors,
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
