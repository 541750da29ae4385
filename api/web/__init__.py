"""The web console: Jinja2 pages from ``templates/web`` and static files (helper D)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the console's pages and static files to ``app``."""
