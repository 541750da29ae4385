"""Request and response bodies of the ``/api/v1`` API: separate input (``…In``) and output
(``…Out``) models per resource, so a table row is never returned as is and a client can
never set a field the server owns (the actor, a state, an id)."""

from __future__ import annotations

from .common import AccountRef, Page

__all__ = ["AccountRef", "Page"]
