"""Browser sign-in routes: ``/auth/login``, ``/auth/callback``, ``/auth/logout`` (helper B)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/auth", include_in_schema=False)
