"""Server-driven paging with absolute, opaque ``@odata.nextLink`` URLs.

The first request of a listing materialises its full result; each page hands out a random
``$skiptoken`` that maps, server-side, to the rest of it. A client can only follow the link
it was given (as with Graph, it cannot compute offsets), and an optional empty first page
with a nextLink reproduces Graph's "page may be empty, keep following" behaviour.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["Pager"]


@dataclass(frozen=True)
class _Cursor:
    route_path: str
    items: list[dict[str, Any]]
    offset: int
    page_size: int
    context: str
    link_base: str
    kept_query: str


class Pager:
    """Keeps the cursors of open listings (the oldest are forgotten beyond ``capacity``)."""

    def __init__(self, capacity: int = 5000) -> None:
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._capacity = capacity

    def _store(self, cursor: _Cursor) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._cursors[token] = cursor
            while len(self._cursors) > self._capacity:
                self._cursors.popitem(last=False)
        return token

    def _page(self, cursor: _Cursor) -> dict[str, Any]:
        end = cursor.offset + cursor.page_size
        body: dict[str, Any] = {
            "@odata.context": cursor.context,
            "value": cursor.items[cursor.offset : end],
        }
        if end < len(cursor.items):
            nxt = _Cursor(**{**cursor.__dict__, "offset": end})
            body["@odata.nextLink"] = self._link(nxt)
        return body

    def _link(self, cursor: _Cursor) -> str:
        token = self._store(cursor)
        query = (cursor.kept_query + "&" if cursor.kept_query else "") + urlencode(
            {"$skiptoken": token}, safe="$"
        )
        return f"{cursor.link_base}?{query}"

    def first_page(
        self,
        *,
        items: list[dict[str, Any]],
        page_size: int,
        context: str,
        route_path: str,
        link_base: str,
        query: tuple[tuple[str, str], ...],
        empty_first: bool = False,
    ) -> dict[str, Any]:
        kept = urlencode(
            [(k, v) for k, v in query if k != "$skiptoken"], safe="$,'()/:", quote_via=quote
        )
        cursor = _Cursor(route_path, items, 0, max(1, page_size), context, link_base, kept)
        if empty_first:
            return {"@odata.context": context, "value": [], "@odata.nextLink": self._link(cursor)}
        return self._page(cursor)

    def resume(
        self, token: str, route_path: str, *, empty_first: bool = False
    ) -> dict[str, Any] | None:
        """The page a ``$skiptoken`` stands for; None when unknown or for another listing.
        With ``empty_first`` an empty page that links to the same position comes first."""
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.route_path != route_path:
            return None
        if empty_first:
            return {
                "@odata.context": cursor.context,
                "value": [],
                "@odata.nextLink": self._link(cursor),
            }
        return self._page(cursor)
