"""Request-scoped dependencies: the app's settings, its one ``Store``, a request session.

Routes declare what they need with these ``Annotated`` aliases, so their signatures stay
one line and domain functions get the session from the request, never from a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.store import Store

__all__ = ["SessionDep", "SettingsDep", "StoreDep", "get_session", "get_settings", "get_store"]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    """One session per request; it commits nothing unless the route does."""
    with store.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
