"""Persistence (DESIGN §14): ``Store`` is the only way into the database.

Tables live in ``breakglass.store.tables``; check runs in ``breakglass.store.runs``.
"""

from __future__ import annotations

from breakglass.store._store import Store

__all__ = ["Store"]
