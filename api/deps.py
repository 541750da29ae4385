"""Request-scoped dependencies: the app's settings, its one ``Store``, a request session.

Routes declare what they need with these ``Annotated`` aliases, so their signatures stay
one line and domain functions get the session from the request, never from a URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from breakglass.config import Settings
from breakglass.store import Store

__all__ = [
    "MAX_ID",
    "Id",
    "SessionDep",
    "SettingsDep",
    "StoreDep",
    "get_session",
    "get_settings",
    "get_store",
    "wake_dispatch",
]


# Plain attribute reads are ``async``: FastAPI runs a ``def`` dependency in the thread
# pool, and each hand-off to a worker thread costs more than the dependency itself.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_session(store: Annotated[Store, Depends(get_store)]) -> AsyncIterator[Session]:
    """One session per request; it commits nothing unless the route does.

    Making the session touches no database (it connects on first use, in the route's
    worker thread); closing it returns the connection, so that runs in the thread pool.
    """
    session = store.session()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]


def wake_dispatch(request: Request) -> None:
    """Deliver what a route or page just queued now, not at the next dispatch tick (on the
    leader; a follower's scheduler runs nothing and the leader's next tick delivers it)."""
    service = getattr(request.app.state, "service", None)
    if service is not None:
        service.wake("dispatch")


#: Stored ids are signed 64-bit integers (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
#: An object id in a path (API and pages): a larger number is refused (422) before it
#: reaches the database, whose driver would fail on it (a 500).
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
