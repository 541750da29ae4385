"""The ``/api/v1`` REST API, ``/metrics`` and ``/docs`` (helper C; see PLAN)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the API routers to ``app``."""
