"""Cursor pagination for every list of the API: ``limit`` (1–200, default 50) and ``next``.

A page answers ``{"items": [...], "next": "<cursor>" | null}``; the client sends that
cursor back as ``?next=`` for the following page, with the same filters. A cursor is
opaque to clients: URL-safe base64 of a small JSON document naming the list it belongs
to and the sort key of the last item returned, so the next page continues *after* that
item (keyset pagination). Items inserted meanwhile never shift a page, and a cursor of
one list is refused by another (400).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Response
from pydantic import BaseModel

from .problems import Problem

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PageDep",
    "PageQuery",
    "decode",
    "encode",
    "json_response",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: A cursor longer than this was not made by us.
_MAX_CURSOR = 512

T = TypeVar("T")
Key = list[Any]


def encode(scope: str, key: Sequence[Any]) -> str:
    """The cursor that continues ``scope`` after the item whose sort key is ``key``."""
    raw = json.dumps({"s": scope, "k": list(key)}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(scope: str, cursor: str) -> Key:
    """The sort key inside ``cursor``; a 400 problem when it is not a cursor of ``scope``."""
    try:
        if len(cursor) > _MAX_CURSOR:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        data = None
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), list):
        raise Problem(
            400,
            "the 'next' cursor is not one this list gave out; start again without it",
            type_="invalid-cursor",
        )
    key: Key = data["k"]
    return key


#: Sort keys are stored values: an integer past 64 bits was forged, and the database
#: driver would fail on it.
_INT64 = range(-(2**63), 2**63)


def _is_a(part: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(part, int) and not isinstance(part, bool) and part in _INT64
    return isinstance(part, kind)


@dataclass(frozen=True)
class PageQuery:
    """The ``limit`` and ``next`` a list was asked for."""

    limit: int
    next: str | None

    def key(self, scope: str, *types: type) -> Key | None:
        """The decoded sort key (None for the first page), each part of the given type."""
        if self.next is None:
            return None
        key = decode(scope, self.next)
        if len(key) != len(types) or not all(
            _is_a(part, kind) for part, kind in zip(key, types, strict=False)
        ):
            raise Problem(400, "the 'next' cursor is malformed", type_="invalid-cursor")
        return key

    def page(
        self, scope: str, fetched: Sequence[T], key_of: Callable[[T], Sequence[Any]]
    ) -> tuple[list[T], str | None]:
        """Cut ``fetched`` (asked with ``limit + 1``) to the page, and the next cursor."""
        items = list(fetched[: self.limit])
        more = len(fetched) > self.limit
        return items, encode(scope, key_of(items[-1])) if more and items else None

    @property
    def fetch(self) -> int:
        """How many to ask the store for: one more than the page, to know whether it ends."""
        return self.limit + 1


async def page_query(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1–200).")
    ] = DEFAULT_LIMIT,
    next: Annotated[  # the query parameter's name (shadows the builtin here only)
        str | None,
        Query(
            max_length=_MAX_CURSOR,
            description="The `next` cursor of the previous page (opaque); omit for the first.",
        ),
    ] = None,
) -> PageQuery:
    return PageQuery(limit=limit, next=next or None)


PageDep = Annotated[PageQuery, Depends(page_query)]


def json_response(body: BaseModel) -> Response:
    """``body`` (already a validated response model) as the JSON FastAPI would send for it.

    For the hot list routes: a ``def`` route's return value is validated again against the
    ``response_model`` in the thread pool (one more hand-off to a worker thread) before it
    is serialized; a ``Response`` is sent as it is. The bytes are the same (``by_alias``,
    Pydantic's JSON serializer, ``application/json``); keep ``response_model`` on the route
    for the OpenAPI document.
    """
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")
